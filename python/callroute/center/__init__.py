"""A whole center in one file: tenants, skills, queues, agents, hours, prompts, IVR flows.

:func:`load_center` reads YAML, JSON or TOML (Python 3.11+), validates everything and returns a
:class:`Center` holding a configured :class:`~callroute.Engine`. Every problem is reported at
once, each with its path in the file and what is expected::

    center.yaml: queues.billing.steps[1].after: must be greater than the previous step (30)
    center.yaml: agents.bob.skills.biling: unknown skill 'biling' (did you mean 'billing'?)

as one :class:`~callroute.errors.ConfigError` (a ``ValueError``) whose ``problems`` lists
them. :meth:`Center.lint` (``callroute check``) also finds what validates but cannot work: a
queue no agent can serve, a relaxation step that changes nothing, a skill nobody has, an IVR
node that cannot be reached or never ends, a shared number with no way to tell tenants apart.

The shapes are pydantic models (typed, all errors at once with locations, JSON Schema for
editors: :func:`schema`, ``callroute schema``); references between sections are checked by
the loader. Tenants, operators and their permissions live in :mod:`callroute.center.tenancy`.
"""

from __future__ import annotations

from .._internal.deprecation import moved
from .center import Center
from .loader import load_center, load_mapping
from .schema import (
    AgentConfig,
    CenterConfig,
    EngineSettings,
    LeaseConfig,
    MediaConfig,
    NumberConfig,
    OperatorConfig,
    PromptConfig,
    QueueAnnouncements,
    QueueConfig,
    StepConfig,
    TenantConfig,
    schema,
)
from .tenancy import (
    BUILTIN_ROLES,
    PERMISSIONS,
    AccessNumber,
    Directory,
    Lease,
    Operator,
    OperatorView,
    Ownership,
    Permission,
    Refusal,
    RefusalReason,
    Tenant,
)

__all__ = [
    "BUILTIN_ROLES",
    "PERMISSIONS",
    "AccessNumber",
    "AgentConfig",
    "Center",
    "CenterConfig",
    "Directory",
    "EngineSettings",
    "Lease",
    "LeaseConfig",
    "MediaConfig",
    "NumberConfig",
    "Operator",
    "OperatorConfig",
    "OperatorView",
    "Ownership",
    "Permission",
    "PromptConfig",
    "QueueAnnouncements",
    "QueueConfig",
    "Refusal",
    "RefusalReason",
    "StepConfig",
    "Tenant",
    "TenantConfig",
    "load_center",
    "load_mapping",
    "schema",
]

__getattr__ = moved(
    __name__,
    {
        "load": "callroute.center.loader:load_center",
        "example_config_path": (
            "callroute._internal.examples:example_config_path",
            'callroute.example_path("center")',
        ),
    },
)
