"""Adapters to telephony systems: protocol only, no routing logic.

Each adapter speaks one PBX protocol (today Asterisk's ARI, :mod:`callroute.adapters.ari`)
and knows nothing of calls, queues or agents; :mod:`callroute.runtime` maps engine decisions
onto it. Adapters may import only :mod:`callroute.errors`, :mod:`callroute._internal` and
:mod:`callroute.types`.
"""
