"""REST routes of the fake Asterisk: status codes and bodies as in the ``ari-*`` transcripts.

Errors without a recorded example (marked "not recorded") use the messages of Asterisk 22's
``res/ari`` sources as best known; the recorded ones are byte-for-byte (README quirk 28).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import shapes
from .state import FakeBridge, FakeChannel, FakePlayback, FakeRecording

if TYPE_CHECKING:
    from .server import FakeAsterisk

    _Base = FakeAsterisk
else:
    _Base = object

#: Technologies a channel can be originated with (anything else: 500 Allocation failed).
KNOWN_TECH = {"local", "pjsip", "sip", "iax2", "dahdi", "motif", "unicastrtp", "audiosocket"}

NOT_IN_STASIS = "Channel not in Stasis application"


def _json(status: int, body: Any, reason: str | None = None) -> web.Response:
    return web.Response(
        status=status,
        reason=reason,
        text=json.dumps(body, separators=(",", ":")),
        content_type="application/json",
    )


def _err(status: int, message: str, reason: str | None = None) -> web.Response:
    return _json(status, {"message": message}, reason)


def _no_content() -> web.Response:
    return web.Response(status=204)


def _channel_404() -> web.Response:
    return _err(404, "Channel not found")


def _bridge_404() -> web.Response:
    return _err(404, "Bridge not found", reason="Not found")  # sic: lowercase f (quirk 28)


class RestMixin(_Base):
    """The ``/ari/...`` REST handlers; mixed into ``FakeAsterisk``."""

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        get, post, delete = router.add_get, router.add_post, router.add_delete
        get("/ari/asterisk/info", self._h_info)
        get("/ari/applications", self._h_apps)
        get("/ari/applications/{app}", self._h_app)
        post("/ari/applications/{app}/subscription", self._h_subscription)
        delete("/ari/applications/{app}/subscription", self._h_subscription)
        get("/ari/channels", self._h_channels)
        post("/ari/channels", self._h_originate)
        post("/ari/channels/{id}", self._h_originate)
        get("/ari/channels/{id}", self._h_channel)
        delete("/ari/channels/{id}", self._h_channel_delete)
        post("/ari/channels/{id}/answer", self._h_answer)
        for sub in ("ring", "moh", "hold", "mute", "silence"):
            post(f"/ari/channels/{{id}}/{sub}", self._h_stasis_noop)
            delete(f"/ari/channels/{{id}}/{sub}", self._h_stasis_noop)
        post("/ari/channels/{id}/continue", self._h_continue)
        post("/ari/channels/{id}/variable", self._h_var_set)
        get("/ari/channels/{id}/variable", self._h_var_get)
        post("/ari/channels/{id}/play", self._h_channel_play)
        post("/ari/channels/{id}/play/{playbackId}", self._h_channel_play)
        post("/ari/channels/{id}/dtmf", self._h_channel_dtmf)
        get("/ari/bridges", self._h_bridges)
        post("/ari/bridges", self._h_bridge_create)
        post("/ari/bridges/{bid}", self._h_bridge_create)
        get("/ari/bridges/{bid}", self._h_bridge)
        delete("/ari/bridges/{bid}", self._h_bridge_delete)
        post("/ari/bridges/{bid}/addChannel", self._h_add_channel)
        post("/ari/bridges/{bid}/removeChannel", self._h_remove_channel)
        post("/ari/bridges/{bid}/moh", self._h_bridge_moh)
        delete("/ari/bridges/{bid}/moh", self._h_bridge_moh)
        post("/ari/bridges/{bid}/play", self._h_bridge_play)
        post("/ari/bridges/{bid}/play/{playbackId}", self._h_bridge_play)
        post("/ari/bridges/{bid}/record", self._h_bridge_record)
        get("/ari/playbacks/{pid}", self._h_playback)
        delete("/ari/playbacks/{pid}", self._h_playback_stop)
        get("/ari/recordings/live/{name}", self._h_live_recording)
        post("/ari/recordings/live/{name}/stop", self._h_recording_stop)
        get("/ari/recordings/stored", self._h_stored_list)
        get("/ari/recordings/stored/{name}", self._h_stored)
        delete("/ari/recordings/stored/{name}", self._h_stored_delete)
        get("/ari/endpoints", self._h_endpoints)
        get("/ari/endpoints/{tech}", self._h_endpoints)
        get("/ari/endpoints/{tech}/{resource}", self._h_endpoint)

    # ----------------------------------------------------------------- plumbing

    def _params(self, request: web.Request) -> dict[str, str]:
        """Query parameters, plus any given in a JSON body (ARI accepts both)."""
        params = dict(request.query)
        body = self.scratch(request).get("body")
        if isinstance(body, dict):
            for key, value in body.items():
                if key != "variables" and not isinstance(value, (dict, list)):
                    params.setdefault(key, str(value))
        return params

    async def _reply(
        self,
        request: web.Request,
        op: str,
        response: web.Response,
        action: Callable[[], None],
    ) -> web.Response:
        """Run ``action`` (which publishes events) before or after sending ``response``,
        as ``self.order[op]`` says."""
        if self.order.get(op, "events_first") == "events_first":
            action()
            await self.flush()
            self.scratch(request)["events_before"] = self.published
            return response
        self.scratch(request)["events_before"] = self.published
        await response.prepare(request)
        await response.write_eof()
        action()
        return response

    def _stasis_channel(self, request: web.Request) -> FakeChannel | web.Response:
        channel = self.channels.get(request.match_info["id"])
        if channel is None:
            return _channel_404()
        if not channel.in_stasis:
            return _err(409, NOT_IN_STASIS)
        return channel

    async def _h_not_found(self, request: web.Request) -> web.Response:
        return _err(404, "Resource not found")

    async def _h_info(self, request: web.Request) -> web.Response:
        return _json(200, shapes.ASTERISK_INFO)

    def _app_json(self) -> dict[str, Any]:
        return {
            "name": self.app,
            "channel_ids": [c.id for c in self.channels.values() if c.in_stasis],
            "bridge_ids": [b.id for b in self.bridges.values() if b.app_refs > 0],
            "endpoint_ids": sorted(self.endpoint_subscriptions),
            "device_names": [],
            "events_allowed": [],
            "events_disallowed": [],
        }

    async def _h_apps(self, request: web.Request) -> web.Response:
        return _json(200, [self._app_json()])

    async def _h_app(self, request: web.Request) -> web.Response:
        if request.match_info["app"] != self.app:
            return _err(404, "Application not found")
        return _json(200, self._app_json())

    async def _h_subscription(self, request: web.Request) -> web.Response:
        """Subscribe the app to event sources; only ``endpoint:<tech>[/<resource>]`` matters
        here (EndpointStateChange needs it, or ``subscribeAll=true``). Not recorded."""
        if request.match_info["app"] != self.app:
            return _err(404, "Application not found")
        sources = [x for x in self._params(request).get("eventSource", "").split(",") if x]
        if not sources:
            return _err(400, "Missing parameter eventSource")
        names = []
        for source in sources:
            kind, _, name = source.partition(":")
            if kind != "endpoint":
                continue  # channel:/bridge:/deviceState: sources are accepted and ignored
            tech = name.partition("/")[0]
            if "/" in name and name not in self.endpoints:
                return _err(422, "Event source does not exist")
            if not any(e.partition("/")[0] == tech for e in self.endpoints) and "/" not in name:
                return _err(422, "Event source does not exist")
            names.append(name)
        if request.method == "POST":
            self.endpoint_subscriptions.update(names)
        else:
            self.endpoint_subscriptions.difference_update(names)
        return _json(200, self._app_json())

    # ----------------------------------------------------------------- channels

    async def _h_channels(self, request: web.Request) -> web.Response:
        return _json(200, [c.json() for c in self.channels.values()])

    async def _h_channel(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["id"])
        if channel is None:
            return _channel_404()
        return _json(200, channel.json())

    async def _h_originate(self, request: web.Request) -> web.Response:
        params = self._params(request)
        endpoint = params.get("endpoint", "")
        if not endpoint:
            return _err(400, "Endpoint must be specified")
        app = params.get("app")
        if not app and not params.get("extension"):
            return _err(400, "Application or extension must be specified")
        tech = endpoint.partition("/")[0].lower()
        script = self.agents.get(endpoint, self.default_agent)
        if (
            tech not in KNOWN_TECH
            or "/" not in endpoint
            or (tech != "local" and (script.unreachable or not script.online))
        ):
            return _json(500, {"error": "Allocation failed"})
        channel_id = request.match_info.get("id") or params.get("channelId")
        other_id = params.get("otherChannelId")
        for cid in (channel_id, other_id):
            if cid and cid in self.channels:
                return _err(409, "Channel with given unique ID already exists")  # not recorded
        try:
            timeout = float(params.get("timeout", "30"))
        except ValueError:
            return _err(400, "timeout must be a number")  # not recorded
        body = self.scratch(request).get("body")
        variables = body.get("variables") if isinstance(body, dict) else None
        if variables is not None and not isinstance(variables, dict):
            return _err(400, "Variables must be an object")  # not recorded
        app_args = params.get("appArgs", "")
        in_app = bool(app) and app == self.app
        agent, script = self.originate(
            endpoint,
            app_args=app_args.split(",") if app_args else [],
            caller_id=shapes.parse_caller_id(params.get("callerId")),
            timeout=timeout,
            channel_id=channel_id,
            other_channel_id=other_id,
            variables={str(k): str(v) for k, v in (variables or {}).items()},
            in_app=in_app,
        )
        response = _json(200, agent.json())
        if not in_app:
            # into the dialplan (ari-errors 38-45): not the app's channel, no events; it
            # answers and runs the given extension
            agent.state = "Up"
            agent.context = params.get("context", agent.context)
            agent.exten = params.get("extension", agent.exten)
            agent.priority = int(params.get("priority", "1") or 1)
            agent.app_name, agent.app_data = "", ""
            if agent.peer and agent.peer in self.channels:
                self.channels[agent.peer].state = "Up"
            return response
        return await self._reply(
            request, "originate", response, lambda: self.ring_agent(agent, script, timeout)
        )

    async def _h_channel_delete(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["id"])
        if channel is None:
            return _channel_404()
        params = self._params(request)
        cause = 16
        if "reason_code" in params:
            try:
                cause = int(params["reason_code"])
            except ValueError:
                return _err(400, "Invalid reason for hangup provided")  # not recorded
        elif "reason" in params:
            if params["reason"] not in shapes.HANGUP_REASONS:
                return _err(400, "Invalid reason for hangup provided")  # not recorded
            cause = shapes.HANGUP_REASONS[params["reason"]]
        return await self._reply(
            request, "hangup", _no_content(), lambda: self.app_hangup(channel, cause)
        )

    async def _h_answer(self, request: web.Request) -> web.Response:
        channel = self._stasis_channel(request)
        if isinstance(channel, web.Response):
            return channel
        return await self._reply(
            request, "answer", _no_content(), lambda: self.answer_channel(channel)
        )

    async def _h_stasis_noop(self, request: web.Request) -> web.Response:
        """ring/moh/hold/mute/silence: 204 and no ARI event (MOH is silent, quirk 37)."""
        channel = self._stasis_channel(request)
        if isinstance(channel, web.Response):
            return channel
        return _no_content()

    async def _h_continue(self, request: web.Request) -> web.Response:
        channel = self._stasis_channel(request)
        if isinstance(channel, web.Response):
            return channel

        params = self._params(request)

        def action() -> None:
            self.leave_bridge(channel, by_hangup=False)
            self.stasis_end(channel)
            if channel.originated:
                # back in the dialplan, where it hangs up (ari-stasis-dtmf 62-80: 1 s later)
                channel.context = params.get("context") or channel.context
                channel.exten = params.get("extension") or channel.exten
                channel.priority = int(params.get("priority") or 1)
                channel.app_name, channel.app_data = "", ""
                self.later(self.continue_hangup_after, self.dialplan_hangup, channel, owner=channel)
            else:
                self.forget(channel)  # silent from now on (quirk 27)

        return await self._reply(request, "continue", _no_content(), action)

    async def _h_var_set(self, request: web.Request) -> web.Response:
        channel = self._stasis_channel(request)
        if isinstance(channel, web.Response):
            return channel
        params = self._params(request)
        name = params.get("variable")
        if not name:
            return _err(400, "Variable name is required")  # not recorded
        value = params.get("value", "")
        return await self._reply(
            request, "variable", _no_content(), lambda: self.varset(channel, name, value)
        )

    async def _h_var_get(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["id"])
        if channel is None:
            return _channel_404()
        name = request.query.get("variable")
        if not name:
            return _err(400, "Variable name is required")  # not recorded
        if name not in channel.variables:
            return _err(404, "Provided variable was not found")  # not recorded
        return _json(200, {"value": channel.variables[name]})

    async def _h_channel_dtmf(self, request: web.Request) -> web.Response:
        channel = self._stasis_channel(request)
        if isinstance(channel, web.Response):
            return channel
        if not self._params(request).get("dtmf"):
            return _err(400, "DTMF is required")
        return _no_content()

    def _new_playback(self, request: web.Request, target_uri: str) -> FakePlayback | web.Response:
        media = request.query.getall("media", [])
        if not media:
            body = self.scratch(request).get("body")
            if isinstance(body, dict) and body.get("media"):
                raw = body["media"]
                media = list(raw) if isinstance(raw, list) else [str(raw)]
        if not media:
            return _err(400, "Missing parameter media")  # not recorded
        pb_id = (
            request.match_info.get("playbackId")
            or self._params(request).get("playbackId")
            or str(uuid.uuid4())
        )
        if pb_id in self.playbacks:
            return _err(409, "Playback with the same ID already exists")  # not recorded
        uris = [uri for item in media for uri in item.split(",") if uri]
        return FakePlayback(id=pb_id, media=uris, target_uri=target_uri)

    async def _play(
        self, request: web.Request, playback: FakePlayback, target: FakeChannel | FakeBridge
    ) -> web.Response:
        if playback.media_uri in self.missing_media:
            # ari-errors 73-76: PlaybackStarted, then 201 showing "failed", then Finished
            self.start_playback(playback, target)
            await self.flush()
            self.scratch(request)["events_before"] = self.published
            return _json(201, playback.json(), reason="Created")
        response = _json(201, playback.json(), reason="Created")
        return await self._reply(
            request, "play", response, lambda: self.start_playback(playback, target)
        )

    async def _h_channel_play(self, request: web.Request) -> web.Response:
        channel = self._stasis_channel(request)
        if isinstance(channel, web.Response):
            return channel
        playback = self._new_playback(request, f"channel:{channel.id}")
        if isinstance(playback, web.Response):
            return playback
        return await self._play(request, playback, channel)

    # ----------------------------------------------------------------- bridges

    async def _h_bridges(self, request: web.Request) -> web.Response:
        return _json(200, [b.json() for b in self.bridges.values()])

    async def _h_bridge(self, request: web.Request) -> web.Response:
        bridge = self.bridges.get(request.match_info["bid"])
        if bridge is None:
            return _bridge_404()
        return _json(200, bridge.json())

    async def _h_bridge_create(self, request: web.Request) -> web.Response:
        params = self._params(request)
        bridge_id = request.match_info.get("bid") or params.get("bridgeId") or str(uuid.uuid4())
        if bridge_id in self.bridges:
            return _err(409, "Bridge with this ID already exists")  # not recorded
        bridge = self.create_bridge(bridge_id, params.get("type", "mixing"), params.get("name", ""))
        return _json(200, bridge.json())

    async def _h_bridge_delete(self, request: web.Request) -> web.Response:
        bridge = self.bridges.get(request.match_info["bid"])
        if bridge is None:
            return _bridge_404()
        return await self._reply(
            request, "destroy_bridge", _no_content(), lambda: self.destroy_bridge(bridge)
        )

    def _bridge_channels(
        self, request: web.Request
    ) -> tuple[FakeBridge, list[FakeChannel]] | web.Response:
        bridge = self.bridges.get(request.match_info["bid"])
        if bridge is None:
            return _bridge_404()
        ids = [c for c in self._params(request).get("channel", "").split(",") if c]
        if not ids:
            return _err(400, "Missing parameter channel")  # not recorded
        channels = []
        for cid in ids:
            channel = self.channels.get(cid)
            if channel is None:
                return _err(400, "Channel not found")  # quirk 28: 400, not 404
            if not channel.in_stasis:
                return _err(422, NOT_IN_STASIS)  # quirk 28: 422 here, 409 elsewhere
            channels.append(channel)
        return bridge, channels

    async def _h_add_channel(self, request: web.Request) -> web.Response:
        found = self._bridge_channels(request)
        if isinstance(found, web.Response):
            return found
        bridge, channels = found
        return await self._reply(
            request, "add_channel", _no_content(), lambda: self.enter_bridge(bridge, channels)
        )

    async def _h_remove_channel(self, request: web.Request) -> web.Response:
        found = self._bridge_channels(request)
        if isinstance(found, web.Response):
            return found
        bridge, channels = found
        for channel in channels:
            if channel.bridge != bridge.id:
                return _err(422, "Channel not in this bridge")  # not recorded

        def action() -> None:
            for channel in channels:
                self.leave_bridge(channel, by_hangup=False)
            self.check_recorder_alone(bridge)

        return await self._reply(request, "remove_channel", _no_content(), action)

    async def _h_bridge_moh(self, request: web.Request) -> web.Response:
        bridge = self.bridges.get(request.match_info["bid"])
        if bridge is None:
            return _bridge_404()
        bridge.moh = request.query.get("mohClass", "default") if request.method == "POST" else None
        return _no_content()  # no ARI event (quirk 37)

    async def _h_bridge_play(self, request: web.Request) -> web.Response:
        bridge = self.bridges.get(request.match_info["bid"])
        if bridge is None:
            return _bridge_404()
        playback = self._new_playback(request, f"bridge:{bridge.id}")
        if isinstance(playback, web.Response):
            return playback
        return await self._play(request, playback, bridge)

    async def _h_bridge_record(self, request: web.Request) -> web.Response:
        bridge = self.bridges.get(request.match_info["bid"])
        if bridge is None:
            return _bridge_404()
        params = self._params(request)
        name = params.get("name")
        fmt = params.get("format")
        if not name:
            return _err(400, "Recording name is required")  # not recorded
        if not fmt:
            return _err(400, "Recording format is required")  # not recorded
        if_exists = params.get("ifExists", "fail")
        live = self.recordings.get(name)
        if live is not None and live.state == "recording":
            return _err(409, "Recording with the same name already in progress")  # not recorded
        if name in self.stored_recordings and if_exists == "fail":
            return _err(422, "Recording with the same name already exists")  # not recorded
        if bridge.recording:
            return _err(409, "Bridge is already being recorded")  # not recorded
        try:
            max_s = float(params.get("maxDurationSeconds", "0"))
        except ValueError:
            return _err(400, "maxDurationSeconds must be a number")  # not recorded
        recording = FakeRecording(
            name=name,
            format=fmt,
            target_uri=f"bridge:{bridge.id}",
            bridge=bridge.id,
            started=self.now(),
        )
        response = _json(201, recording.json(), reason="Created")
        return await self._reply(
            request, "record", response, lambda: self.start_recording(recording, bridge, max_s)
        )

    # ----------------------------------------------------------------- playbacks, recordings

    async def _h_playback(self, request: web.Request) -> web.Response:
        playback = self.playbacks.get(request.match_info["pid"])
        if playback is None:
            return _err(404, "Playback not found")
        return _json(200, playback.json())

    async def _h_playback_stop(self, request: web.Request) -> web.Response:
        playback = self.playbacks.get(request.match_info["pid"])
        if playback is None:
            return _err(404, "Playback not found")
        return await self._reply(
            request,
            "stop_playback",
            _no_content(),
            lambda: self.finish_playback(playback, "done"),
        )

    async def _h_live_recording(self, request: web.Request) -> web.Response:
        recording = self.recordings.get(request.match_info["name"])
        if recording is None or recording.state != "recording":
            return _err(404, "Recording not found")  # not recorded
        return _json(200, recording.json())

    async def _h_recording_stop(self, request: web.Request) -> web.Response:
        recording = self.recordings.get(request.match_info["name"])
        if recording is None or recording.state != "recording":
            return _err(404, "Recording not found")  # not recorded
        return await self._reply(
            request,
            "stop_recording",
            _no_content(),
            lambda: self.finish_recording(recording),
        )

    async def _h_stored_list(self, request: web.Request) -> web.Response:
        return _json(200, [{"name": n, "format": f} for n, f in self.stored_recordings.items()])

    async def _h_stored(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.stored_recordings:
            return _err(404, "Recording not found")  # not recorded
        return _json(200, {"name": name, "format": self.stored_recordings[name]})

    async def _h_stored_delete(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if self.stored_recordings.pop(name, None) is None:
            return _err(404, "Recording not found")  # not recorded
        self.recordings.pop(name, None)
        return _no_content()

    # ----------------------------------------------------------------- endpoints

    async def _h_endpoints(self, request: web.Request) -> web.Response:
        tech = request.match_info.get("tech")
        names = [e for e in self.endpoints if tech is None or e.partition("/")[0] == tech]
        return _json(200, [self.endpoint_json(e) for e in names])

    async def _h_endpoint(self, request: web.Request) -> web.Response:
        name = f"{request.match_info['tech']}/{request.match_info['resource']}"
        if name not in self.endpoints:
            return _err(404, "Endpoint not found")  # not recorded
        return _json(200, self.endpoint_json(name))
