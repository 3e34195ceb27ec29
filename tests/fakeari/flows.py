"""Call behaviour of the fake Asterisk: the event sequences of the ``ari-*`` transcripts.

Each method changes the state and publishes the events Asterisk published for the same step,
in the recorded order (README quirk numbers in comments). Dialplan-specific events of the far
end (``ChannelDialplan``, ``Set()``/``Gosub`` variables of the recording's extensions) are not
modelled; every Asterisk-generic one is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import shapes
from .state import AgentScript, FakeBridge, FakeChannel, FakePlayback, FakeRecording

if TYPE_CHECKING:
    from .server import FakeAsterisk

    _Base = FakeAsterisk
else:
    _Base = object


class FlowsMixin(_Base):
    """Call flows; mixed into ``FakeAsterisk``."""

    # ----------------------------------------------------------------- helpers

    def ev(self, kind: str, channel: FakeChannel, **extra: Any) -> None:
        """Publish a channel event if the app is subscribed to ``channel``."""
        if channel.subscribed:
            self.emit(shapes.ev_channel(kind, self.ts(), channel.json(), **extra))

    def varset(self, channel: FakeChannel, variable: str, value: str) -> None:
        """Set a channel variable and publish ``ChannelVarset``."""
        channel.variables[variable] = value
        if channel.subscribed:
            self.emit(shapes.ev_varset(self.ts(), channel.json(), variable, value))

    def hangup_request(self, channel: FakeChannel, cause: int, soft: bool = False) -> None:
        """Publish ``ChannelHangupRequest``."""
        if channel.subscribed:
            self.emit(shapes.ev_hangup_request(self.ts(), channel.json(), cause, soft))

    def destroyed(self, channel: FakeChannel, cause: int) -> None:
        """Publish ``ChannelDestroyed`` (if subscribed) and forget the channel; a Local peer
        whose caller id changed meanwhile sends its ChannelCallerId after it (quirk 38)."""
        pending = channel.pending_caller
        if pending is not None:
            channel.caller = pending
        if channel.subscribed:
            self.emit(shapes.ev_destroyed(self.ts(), channel.json(), cause))
            if pending is not None:
                maker = shapes.ev_callerid if any(pending) else shapes.ev_callerid_unavailable
                self.emit(maker(self.ts(), channel.json()))
        self.forget(channel)

    def set_connected(self, channel: FakeChannel, connected: tuple[str, str]) -> None:
        """Change a channel's connected line (ChannelConnectedLine); a Local leg's peer takes
        it as its caller id."""
        channel.connected = connected
        self.ev("ChannelConnectedLine", channel)
        peer = self.channels.get(channel.peer) if channel.peer else None
        if peer is not None:
            peer.pending_caller = connected

    def forget(self, channel: FakeChannel) -> None:
        """Drop ``channel`` from the live state and cancel its timers."""
        channel.alive = False
        self.cancel_channel_timers(channel)
        self.channels.pop(channel.id, None)
        if channel.half is not None and channel.role == "caller":
            self.channels.pop(channel.half, None)

    def cancel_channel_timers(self, channel: FakeChannel) -> None:
        """Cancel every scheduled far-end action of ``channel``."""
        for handle in channel.timers:
            self.cancel(handle)
        channel.timers.clear()

    def dial(self, agent: FakeChannel, status: str) -> None:
        """Publish ``Dial`` for an originated leg (peer = the leg, no caller)."""
        if agent.subscribed:
            self.emit(shapes.ev_dial(self.ts(), agent.json(), status, agent.dialstring))

    def send_dtmf_event(self, channel: FakeChannel, digit: str, duration_ms: int = 100) -> None:
        """Publish ``ChannelDtmfReceived`` for one digit."""
        if channel.subscribed:
            self.emit(shapes.ev_dtmf(self.ts(), channel.json(), digit, duration_ms))

    def stasis_end(self, channel: FakeChannel) -> None:
        """``StasisEnd``; a channel that entered by dialplan ``Stasis()`` then goes silent
        (README quirk 27), an originated one keeps its subscription."""
        if not channel.in_stasis:
            return
        channel.in_stasis = False
        self.ev("StasisEnd", channel)
        if not channel.originated:
            channel.subscribed = False

    # ----------------------------------------------------------------- callers

    def start_caller(
        self,
        dnis: str,
        number: str,
        name: str,
        args: list[str],
        dtmf: list[tuple[float, str]],
        hangup_after: float | None,
        *,
        answered: bool = False,
        dialplan: tuple[str, str, int] | None = None,
        channel_name: str | None = None,
    ) -> FakeChannel:
        """A dialplan caller (``Local/<dnis>@acd-inbound-…;2``) enters Stasis in state Ring."""
        uid = self.new_uniqueid(2)  # the ;1 half takes the uniqueid before it
        seq = self.new_chan_seq()
        context, exten, priority = dialplan or ("acd-inbound", dnis, 3)
        channel = FakeChannel(
            id=uid,
            name=channel_name or f"Local/{dnis}@acd-inbound-{seq};2",
            state="Up" if answered else "Ring",
            caller=(name, number),
            connected=(name, number),
            context=context,
            exten=exten,
            priority=priority,
            app_name="Stasis",
            app_data=",".join([self.app, *args]),
            creationtime=self.ts(),
            role="caller",
            in_stasis=True,
            args=list(args),
            dtmf_plan=sorted(dtmf),
        )
        self.channels[uid] = channel
        if channel_name is None:
            prefix, _, num = uid.rpartition(".")
            half = FakeChannel(
                id=f"{prefix}.{int(num) - 1}",
                name=f"Local/{dnis}@acd-inbound-{seq};1",
                state="Down",
                caller=(name, number),
                connected=(name, number),
                context="acd-inbound",
                exten=dnis,
                priority=1,
                app_name="AppDial2",
                app_data="(Outgoing Line)",
                creationtime=channel.creationtime,
                role="caller-half",
                subscribed=False,
            )
            channel.half, half.half = half.id, channel.id
            self.channels[half.id] = half
        self.ev("StasisStart", channel, args=list(args))
        if answered:
            self.answer_channel(channel, silent=True)
        if hangup_after is not None:
            self.later(hangup_after, self.far_hangup, channel, 16, owner=channel)
        return channel

    def answer_channel(self, channel: FakeChannel, silent: bool = False) -> None:
        """``POST /answer``: Ring -> Up (ChannelStateChange); the caller's digits start."""
        if channel.answered_at is not None:
            return
        channel.answered_at = self.now()
        half = self.channels.get(channel.half) if channel.half else None
        if half is not None:  # the caller's phone runs acd-caller once answered
            half.state = "Up"
            half.context, half.exten, half.priority = "acd-caller", channel.caller[1], 1
            half.app_name, half.app_data = "", ""
        if channel.state != "Up":
            channel.state = "Up"
            if not silent:
                self.ev("ChannelStateChange", channel)
        for at, digits in channel.dtmf_plan:
            for i, digit in enumerate(digits):
                self.later(at + 0.3 * i, self._dtmf_if_alive, channel, digit, owner=channel)

    def _dtmf_if_alive(self, channel: FakeChannel, digit: str) -> None:
        if channel.alive:
            self.send_dtmf_event(channel, digit)

    # ----------------------------------------------------------------- hangups

    def far_hangup(self, channel: FakeChannel, cause: int = 16) -> None:
        """The far end hangs up ``channel`` (caller patience, agent talk over, test hangup)."""
        if channel.role == "caller-half" and channel.half in self.channels:
            channel = self.channels[channel.half]  # the Local pair goes as one
        if not channel.alive:
            return
        if channel.role == "agent" and channel.peer and channel.peer in self.channels:
            peer = self.channels[channel.peer]
            if not channel.in_stasis and channel.state != "Up":
                # a ringing leg whose far end gives up: the originate fails
                self.hangup_request(peer, cause)
                self.hangup_request(peer, 16, soft=True)
                self.destroyed(peer, cause)
                self.destroyed(channel, cause)
                return
            # no-answer transcript 99-101: the Local peer ends first
            self.hangup_request(peer, 16, soft=True)
            self.hangup_request(channel, cause)
            self.destroyed(peer, cause)
        else:
            self.hangup_request(channel, cause)
        self._end_in_app(channel, cause)

    def dialplan_hangup(self, channel: FakeChannel) -> None:
        """An originated leg the app sent back to the dialplan hangs up there
        (ari-stasis-dtmf 76-80)."""
        if not channel.alive:
            return
        self.varset(channel, "STASISSTATUS", "SUCCESS")
        peer = self.channels.get(channel.peer) if channel.peer else None
        self.hangup_request(peer or channel, 16)
        self.destroyed(channel, 16)
        if peer is not None:
            self.hangup_request(peer, 16, soft=True)
            self.destroyed(peer, 16)

    def app_hangup(self, channel: FakeChannel, cause: int) -> None:
        """``DELETE /channels/{id}``: soft hangup request cause 32 (README quirk 31)."""
        if channel.role == "caller-half" and channel.half in self.channels:
            self.far_hangup(self.channels[channel.half], cause)  # its ;2 sees a far hangup
            return
        if not channel.alive:
            return
        if not channel.subscribed:
            self.forget(channel)
            return
        self.hangup_request(channel, 32, soft=True)
        peer = self.channels.get(channel.peer) if channel.peer else None
        if channel.role == "agent" and not channel.in_stasis:
            # a leg still ringing (caller-gone transcript 46-51): Dial NOANSWER (quirk 32)
            if channel.state == "Ringing":
                self.dial(channel, "NOANSWER")
            if peer is not None:
                self.hangup_request(peer, 16)
            self.destroyed(channel, cause)
            if peer is not None:
                self.hangup_request(peer, 16, soft=True)
                self.destroyed(peer, 16)
            return
        if channel.role == "agent" and peer is not None:
            self._end_in_app(channel, cause, peer=peer)
            return
        self._end_in_app(channel, cause)

    def _end_in_app(
        self, channel: FakeChannel, cause: int, peer: FakeChannel | None = None
    ) -> None:
        """Playbacks stop, the bridge is left, StasisEnd, and (originated) ChannelDestroyed."""
        self.cancel_channel_timers(channel)
        for pb_id in list(channel.playbacks):
            playback = self.playbacks.get(pb_id)
            if playback is not None and not playback.endless:
                self.finish_playback(playback, "done")
            elif playback is not None:
                self.playbacks.pop(pb_id, None)
        bridge = self.leave_bridge(channel, by_hangup=True)
        if channel.originated:
            was_in_stasis = channel.in_stasis
            early = self.destroyed_before_stasis_end and was_in_stasis
            if early:
                self.emit(shapes.ev_destroyed(self.ts(), channel.json(), cause))
            self.stasis_end(channel)
            if was_in_stasis:
                self.varset(channel, "STASISSTATUS", "SUCCESS")
            # out of Stasis the originated leg is back in its dial application
            channel.app_name, channel.app_data = "AppDial2", "(Outgoing Line)"
            if peer is not None:
                self.hangup_request(peer, 16)
            if early:
                self.forget(channel)
            else:
                self.destroyed(channel, cause)
            if peer is not None:
                self.hangup_request(peer, 16, soft=True)
                self.destroyed(peer, 16)
        else:
            self.stasis_end(channel)
            self.forget(channel)
        if bridge is not None:
            self.check_recorder_alone(bridge)

    # ----------------------------------------------------------------- originate

    def originate(
        self,
        endpoint: str,
        *,
        app_args: list[str],
        caller_id: tuple[str, str],
        timeout: float,
        channel_id: str | None,
        other_channel_id: str | None,
        variables: dict[str, str],
        in_app: bool = True,
    ) -> tuple[FakeChannel, AgentScript]:
        """Create the originated leg (and its Local ``;2`` peer); the caller then runs
        ``ring_agent`` before or after responding."""
        tech, _, resource = endpoint.partition("/")
        is_local = tech.lower() == "local"
        script = self.agents.get(endpoint, self.default_agent)
        seq = self.new_chan_seq()
        if is_local:
            exten, _, context = resource.partition("@")
            context = context or "default"
            uid = self.new_uniqueid(2)
            agent_id = channel_id or uid[: uid.rfind(".") + 1] + str(self._uid - 2)
            peer_id = other_channel_id or uid
            name = f"Local/{resource}-{seq};1"
            dialstring = resource
        else:
            exten, context = resource, "default"
            uid = self.new_uniqueid(1)
            agent_id = channel_id or uid
            peer_id = None
            name = f"{endpoint}-{seq}"
            dialstring = resource
        agent = FakeChannel(
            id=agent_id,
            name=name,
            state="Down",
            caller=caller_id,
            connected=caller_id,
            context=context,
            exten=exten,
            priority=1,
            app_name="AppDial2",
            app_data="(Outgoing Line)",
            creationtime=self.ts(),
            role="agent",
            subscribed=in_app,
            originated=True,
            endpoint=endpoint,
            dialstring=dialstring,
            args=list(app_args),
            variables=dict(variables),
        )
        self.channels[agent.id] = agent
        if peer_id is not None:
            peer = FakeChannel(
                id=peer_id,
                name=f"Local/{resource}-{seq};2",
                state="Ring",
                caller=("", ""),
                connected=("", ""),
                context=context,
                exten=exten,
                priority=1,
                app_name="",
                app_data="",
                creationtime=agent.creationtime,
                role="peer",
                subscribed=in_app,
                originated=True,
                endpoint=endpoint,
            )
            agent.peer = peer.id
            self.channels[peer.id] = peer
        return agent, script

    def ring_agent(self, agent: FakeChannel, script: AgentScript, timeout: float) -> None:
        """The synchronous part of an originate: setup events, Dial, and what happens next."""
        peer = self.channels.get(agent.peer) if agent.peer else None
        if peer is not None:
            for var, value in reversed(list(agent.variables.items())):
                self.varset(peer, var, value)  # recorded in reverse order of the body
            if any(agent.caller):  # no callerId, no caller id events (ari-errors 59-69)
                peer.caller = agent.caller
                peer.connected = agent.caller
                if peer.subscribed:
                    self.emit(shapes.ev_callerid(self.ts(), peer.json()))
                self.ev("ChannelConnectedLine", peer)
        unreachable = script.unreachable or not script.online
        if peer is not None and unreachable:
            # Local extension does not exist: no Dial at all, cause 0 (quirk 32)
            self.destroyed(peer, 0)
            self.destroyed(agent, 0)
            return
        self.dial(agent, "")
        if script.busy or script.congestion:
            if script.reject_after <= 0:
                self._agent_rejects(agent, script)
            else:
                self.later(script.reject_after, self._agent_rejects, agent, script, owner=agent)
            return
        if script.answer_after is not None and script.answer_after <= 0:
            self._agent_answers(agent, script)  # answers at once: no ringing (ari-bridge 14-21)
            return
        agent.state = "Ringing"
        self.ev("ChannelStateChange", agent)
        self.dial(agent, "RINGING")
        if script.answer_after is not None and (timeout <= 0 or script.answer_after < timeout):
            if script.answer_after <= 0:
                self._agent_answers(agent, script)
            else:
                self.later(script.answer_after, self._agent_answers, agent, script, owner=agent)
        elif timeout > 0:
            self.later(timeout, self._agent_no_answer, agent, owner=agent)

    def _agent_rejects(self, agent: FakeChannel, script: AgentScript) -> None:
        """Busy()/Congestion() at the far end (agent-busy transcript 33-38, 49-54)."""
        if not agent.alive:
            return
        status, cause = ("BUSY", 17) if script.busy else ("CONGESTION", 34)
        peer = self.channels.get(agent.peer) if agent.peer else None
        if peer is not None:
            peer.state = "Busy"
            self.ev("ChannelStateChange", peer)
            self.dial(agent, status)
            self.hangup_request(peer, 0)
            self.destroyed(agent, 0)  # the originated leg itself: cause 0 (quirk 32)
            self.hangup_request(peer, 16, soft=True)
            self.destroyed(peer, cause)
        else:
            self.dial(agent, status)
            self.hangup_request(agent, cause)
            self.destroyed(agent, cause)

    def _agent_no_answer(self, agent: FakeChannel) -> None:
        """Originate timeout: no final Dial, cause 19 on both halves (no-answer 40-43)."""
        if not agent.alive:
            return
        peer = self.channels.get(agent.peer) if agent.peer else None
        if peer is not None:
            self.hangup_request(peer, 19)
            self.hangup_request(peer, 16, soft=True)
            self.destroyed(peer, 19)
        else:
            self.hangup_request(agent, 19)
        self.destroyed(agent, 19)

    def _agent_answers(self, agent: FakeChannel, script: AgentScript) -> None:
        """The agent answers: Up, Dial ANSWER, StasisStart (answered 78-82)."""
        if not agent.alive:
            return
        peer = self.channels.get(agent.peer) if agent.peer else None
        if peer is not None:
            peer.state = "Up"
            self.ev("ChannelStateChange", peer)
        if script.amd is not None:
            # AMD() ran at the far end's answer, before the channel reaches Stasis
            cause = {"HUMAN": "HUMAN-300-1000", "MACHINE": "LONGGREETING-2000-1500"}
            target = peer or agent
            self.varset(target, "AMDSTATUS", script.amd)
            self.varset(target, "AMDCAUSE", cause.get(script.amd, "TOOLONG-5000"))
        agent.state = "Up"
        agent.answered_at = self.now()
        self.ev("ChannelStateChange", agent)
        self.dial(agent, "ANSWER")
        if agent.subscribed:
            agent.app_name = "Stasis"
            agent.app_data = ",".join([self.app, *agent.args])
            self.varset(agent, "STASISSTATUS", "")
            agent.in_stasis = True
            self.ev("StasisStart", agent, args=list(agent.args))
        if script.talk is not None:
            self.later(script.talk, self.far_hangup, agent, 16, owner=agent)

    # ----------------------------------------------------------------- bridges

    def create_bridge(self, bridge_id: str, types: str, name: str) -> FakeBridge:
        """Create a bridge (``holding`` -> holding_bridge, else mixing/simple_bridge)."""
        kinds = {t.strip() for t in types.split(",") if t.strip()} or {"mixing"}
        holding = "holding" in kinds
        bridge = FakeBridge(
            id=bridge_id,
            bridge_type="holding" if holding else "mixing",
            name=name,
            creationtime=self.ts(),
            technology="holding_bridge" if holding else "simple_bridge",
        )
        self.bridges[bridge_id] = bridge
        return bridge

    def _peer_names(self, bridge: FakeBridge, channel_id: str) -> str:
        names = []
        if bridge.recording:
            names.append(bridge.recorder_name)
        if bridge.playbacks and bridge.announcer_name:
            names.append(bridge.announcer_name)
        names += [self.channels[c].name for c in bridge.channels if c != channel_id]
        return ",".join(names)

    def enter_bridge(self, bridge: FakeBridge, channels: list[FakeChannel]) -> None:
        """``addChannel``: ChannelEnteredBridge each, then BRIDGEPEER/connected line updates."""
        for channel in channels:
            if channel.bridge == bridge.id:
                continue
            if channel.bridge is not None:
                self.leave_bridge(channel, by_hangup=False)
            bridge.channels[channel.id] = None
            bridge.app_refs += 1
            channel.bridge = bridge.id
            if bridge.participants() > 2:
                bridge.retech()
            self.emit(
                shapes.ev_bridge("ChannelEnteredBridge", self.ts(), bridge.json(), channel.json())
            )
        if bridge.bridge_type != "mixing" or bridge.participants() < 2:
            return
        self.update_bridgepeers(bridge)
        members = [self.channels[c] for c in bridge.channels]
        if len(members) == 2 and members[0].caller != members[1].caller:
            a, b = members
            self.set_connected(b, a.caller)
            self.set_connected(a, b.caller)

    def update_bridgepeers(self, bridge: FakeBridge) -> None:
        """Publish the BRIDGEPEER ChannelVarset of every channel of a mixing bridge."""
        for cid in bridge.channels:
            channel = self.channels[cid]
            self.varset(channel, "BRIDGEPEER", self._peer_names(bridge, cid))

    def leave_bridge(self, channel: FakeChannel, *, by_hangup: bool) -> FakeBridge | None:
        """The channel leaves its bridge (hangup or ``removeChannel``); returns the bridge."""
        if channel.bridge is None:
            return None
        bridge = self.bridges.get(channel.bridge)
        channel.bridge = None
        if bridge is None:
            return None
        if bridge.bridge_type == "mixing" and not by_hangup:
            # BRIDGEPEER left stale by an Announcer that went away is refreshed first
            # (ari-bridge 65-66)
            stale = [
                c
                for c in bridge.channels
                if self.channels[c].variables.get("BRIDGEPEER")
                not in (None, self._peer_names(bridge, c))
            ]
            if stale:
                self.update_bridgepeers(bridge)
        if channel.variables.get("BRIDGEPEER"):
            self.varset(channel, "BRIDGEPEER", "")
        bridge.channels.pop(channel.id, None)
        if not by_hangup:
            bridge.app_refs -= 1
        self.emit(shapes.ev_bridge("ChannelLeftBridge", self.ts(), bridge.json(), channel.json()))
        bridge.retech()
        if bridge.bridge_type == "mixing" and by_hangup:
            rest = [self.channels[c] for c in bridge.channels if c in self.channels]
            if rest and bridge.participants() >= 2:
                for other in rest:
                    self.varset(other, "BRIDGEPEER", self._peer_names(bridge, other.id))
            for other in rest:
                self.set_connected(other, ("", ""))
        return bridge

    def check_recorder_alone(self, bridge: FakeBridge) -> None:
        """A recording ends by itself once the Recorder is alone in the bridge (quirk 36)."""
        if bridge.recording and not bridge.channels:
            recording = self.recordings.get(bridge.recording)
            if recording is not None:
                self.finish_recording(recording)

    def destroy_bridge(self, bridge: FakeBridge) -> None:
        """``DELETE /bridges/{id}``: channels leave, BridgeDestroyed if subscribed (quirk 35)."""
        for cid in list(bridge.channels):
            channel = self.channels.get(cid)
            if channel is not None:
                self.leave_bridge(channel, by_hangup=False)
                bridge.app_refs += 1  # a destroyed bridge still tells its channels
        for pb_id in list(bridge.playbacks):
            playback = self.playbacks.get(pb_id)
            if playback is not None:
                self.finish_playback(playback, "done")
        if bridge.recording:
            recording = self.recordings.get(bridge.recording)
            if recording is not None:
                self.finish_recording(recording)
        self.bridges.pop(bridge.id, None)
        if bridge.app_refs > 0:
            self.emit(shapes.ev_bridge("BridgeDestroyed", self.ts(), bridge.json(), None))

    # ----------------------------------------------------------------- playbacks

    def media_length(self, uri: str) -> float | None:
        """Seconds a media URI plays; ``None`` plays until stopped (tones, unknown schemes)."""
        if uri in self.media_durations:
            return self.media_durations[uri]
        if uri.startswith(("sound:", "recording:", "number:", "digits:", "characters:")):
            return self.default_media_duration
        return None

    def start_playback(self, playback: FakePlayback, target: FakeChannel | FakeBridge) -> None:
        """PlaybackStarted, then PlaybackFinished after the media's length (or failed); a
        list of media gives PlaybackContinuing between items."""
        self.playbacks[playback.id] = playback
        target.playbacks.add(playback.id)
        if isinstance(target, FakeBridge) and target.bridge_type == "mixing":
            if not target.announcer_name:
                target.announcer_name = f"Announcer/ARI-{self.new_chan_seq()};2"
            if len(target.playbacks) == 1 and target.channels:
                self.update_bridgepeers(target)
        playback.state = "playing"
        self.emit(shapes.ev_playback("PlaybackStarted", self.ts(), playback.json()))
        self._play_item(playback)

    def _play_item(self, playback: FakePlayback) -> None:
        uri = playback.media_uri
        if uri in self.missing_media:
            self.finish_playback(playback, "failed")
            return
        scheme = uri.partition(":")[0]
        if scheme not in ("sound", "recording", "number", "digits", "characters", "tone"):
            playback.endless = True  # README quirk 29: unknown scheme, no PlaybackFinished
            return
        length = self.media_length(uri)
        if length is not None:
            playback.timer = self.later(length, self._item_done, playback)

    def _item_done(self, playback: FakePlayback) -> None:
        if playback.id not in self.playbacks:
            return
        if playback.index + 1 >= len(playback.media):
            self.finish_playback(playback, "done")
            return
        playback.index += 1
        playback.state = "continuing"
        self.emit(shapes.ev_playback("PlaybackContinuing", self.ts(), playback.json()))
        playback.state = "playing"
        self._play_item(playback)

    def finish_playback(self, playback: FakePlayback, state: str) -> None:
        """PlaybackFinished (``done`` or ``failed``) and forget the playback."""
        if self.playbacks.pop(playback.id, None) is None:
            return
        self.cancel(playback.timer)
        kind, _, target_id = playback.target_uri.partition(":")
        target: Any = (self.channels if kind == "channel" else self.bridges).get(target_id)
        if target is not None:
            target.playbacks.discard(playback.id)
        playback.state = state
        self.emit(shapes.ev_playback("PlaybackFinished", self.ts(), playback.json()))

    # ----------------------------------------------------------------- recordings

    def start_recording(self, recording: FakeRecording, bridge: FakeBridge, max_s: float) -> None:
        """Recorder joins the bridge: BRIDGEPEER updates, RecordingStarted (answered 98-100)."""
        self.recordings[recording.name] = recording
        bridge.recording = recording.name
        bridge.recorder_name = f"Recorder/ARI-{self.new_chan_seq()};2"
        bridge.retech()
        if bridge.bridge_type == "mixing" and bridge.channels:
            self.update_bridgepeers(bridge)
        recording.state = "recording"
        self.emit(shapes.ev_recording("RecordingStarted", self.ts(), recording.json()))
        if max_s > 0:
            recording.timer = self.later(max_s, self.finish_recording, recording)

    def finish_recording(self, recording: FakeRecording) -> None:
        """RecordingFinished with the whole seconds recorded; the file is stored."""
        if recording.state != "recording":
            return
        self.cancel(recording.timer)
        recording.state = "done"
        recording.duration = int(self.now() - recording.started)
        bridge = self.bridges.get(recording.bridge)
        if bridge is not None and bridge.recording == recording.name:
            bridge.recording = None
        self.stored_recordings[recording.name] = recording.format
        self.emit(shapes.ev_recording("RecordingFinished", self.ts(), recording.json()))
