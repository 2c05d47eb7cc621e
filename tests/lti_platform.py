"""A course platform for the LTI tests, built on ``lti1p3platform`` (a real LTI 1.3
platform implementation from PyPI) and served on a loopback port.

It serves what an LMS serves to a tool: its public keys, the OIDC authorization endpoint
(which answers the tool's login redirect with an auto-posted, signed id token), the
OAuth2 token endpoint of the client-credentials grant, an AGS line item's scores endpoint,
and the deep-linking return URL. It records the scores and content items it receives.

A test sets the next launch with :meth:`TestPlatform.prepare` (who, which roles, which
course and link, resource link or deep linking), then starts the OIDC flow at the tool.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from html import escape
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def new_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class NextLaunch:
    """What the platform puts in the next id token it signs."""

    user: str = "learner-1"
    roles: list[str] = field(default_factory=lambda: [LEARNER])
    context: str = "canvas-course-7"
    resource_link: str = "link-1"
    deep_linking: bool = False
    custom: dict[str, str] = field(default_factory=dict)
    lineitem: str | None = None
    # Changes to the signed message, applied last (for the negative cases).
    override: dict[str, Any] = field(default_factory=dict)
    # Sign with this key instead of the platform's published one.
    signing_key: str | None = None
    # Change the signed token's payload afterwards, so its signature no longer matches.
    tamper: bool = False
    expiration: int = 300


class TestPlatform:
    """The platform's state and its ASGI app (:attr:`app`)."""

    __test__ = False

    def __init__(self, *, issuer: str, client_id: str, deployment_id: str) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.private_key = new_private_key()
        self.url = ""  # set once served
        self.tool_url = ""
        self.next = NextLaunch()
        self.scores: list[dict[str, Any]] = []
        self.content_items: list[dict[str, Any]] = []
        self.token_requests = 0
        self.fail_scores = 0  # answer the next n score posts with 503
        self._lock = threading.Lock()
        self.app = self._build()

    def prepare(self, **changes: Any) -> NextLaunch:
        self.next = NextLaunch(**changes)
        return self.next

    def config(self) -> LTI1P3PlatformConfAbstract:
        platform = self

        class Config(LTI1P3PlatformConfAbstract):
            def init_platform_config(self, **kwargs: Any) -> None:
                pass

            def get_registration_by_params(self, **kwargs: Any) -> Registration:
                return (
                    Registration()
                    .set_iss(platform.issuer)
                    .set_client_id(platform.client_id)
                    .set_deployment_id(platform.deployment_id)
                    .set_oidc_login_url(f"{platform.tool_url}/lti/login")
                    .set_launch_url(f"{platform.tool_url}/lti/launch")
                    .set_deeplink_launch_url(f"{platform.tool_url}/lti/launch")
                    .set_tool_key_set_url(f"{platform.tool_url}/lti/jwks")
                    .set_platform_public_key(public_pem(platform.private_key))
                    .set_platform_private_key(platform.private_key)
                )

        config = Config()
        config.get_registration()
        return config

    def lineitem_url(self, name: str = "1") -> str:
        return f"{self.url}/lineitems/{name}/lineitem"

    def _build(self) -> FastAPI:
        app = FastAPI()
        platform = self

        class Launch(LTIAdvantageMessageLaunchAbstract):
            def get_preflight_response(self) -> dict[str, Any]:
                return dict(self._request)  # type: ignore[arg-type]

            def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Any:
                # The form the platform's page posts to the tool (a browser submits it
                # by script; the tests post it themselves).
                fields = "".join(
                    f'<input type="hidden" name="{name}" value="{escape(launch_data[name])}">'
                    for name in ("id_token", "state")
                )
                return (
                    f'<form method="post" action="{escape(launch_data["launch_url"])}" '
                    f'id="launch">{fields}<button>Continue</button></form>'
                    '<script>document.getElementById("launch").submit()</script>'
                )

            def generate_launch_request(self) -> Any:
                data = super().generate_launch_request()
                if platform.next.tamper:
                    header, payload, signature = data["id_token"].split(".")
                    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
                    claims["sub"] = "someone-else"
                    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
                    data["id_token"] = f"{header}.{forged.decode()}.{signature}"
                return data

            def get_launch_message(self, include_extra_claims: bool = True) -> dict[str, Any]:
                message = super().get_launch_message(include_extra_claims)
                message.update(platform.next.override)
                return message

        @app.get("/jwks")
        def jwks() -> JSONResponse:
            return JSONResponse(platform.config().get_jwks())

        @app.get("/auth")
        def auth(request: Request) -> Response:
            params = dict(request.query_params)
            nxt = platform.next
            config = platform.config()
            registration = config.get_registration()
            if nxt.signing_key:
                registration.set_platform_private_key(nxt.signing_key)
            launch = Launch(params, config)
            launch.set_id_token_expiration(nxt.expiration)
            launch.set_user_data(
                nxt.user, nxt.roles, full_name="A Person", email_address=f"{nxt.user}@example.org"
            )
            launch.set_launch_context_claim(nxt.context, context_title="Essays 101")
            if nxt.deep_linking:
                launch.set_dl(
                    f"{platform.url}/deep-link-return",
                    title="Essays",
                    accept_types={"ltiResourceLink"},
                )
            else:
                launch.set_resource_link_claim(nxt.resource_link, title="An essay")
                launch.set_ags(
                    lineitems_url=f"{platform.url}/lineitems",
                    lineitem_url=nxt.lineitem,
                    allow_creating_lineitems=True,
                )
            if nxt.custom:
                launch.set_custom_parameters_claim(nxt.custom)
            return HTMLResponse(launch.lti_launch())

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            form = dict(await request.form())
            with platform._lock:
                platform.token_requests += 1
            try:
                answer = platform.config().get_access_token(form)
            except Exception as exc:
                return JSONResponse({"error": "invalid_client", "detail": str(exc)}, 400)
            return JSONResponse(dict(answer))

        @app.post("/lineitems/{name}/lineitem/scores")
        async def scores(name: str, request: Request) -> Response:
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            try:
                allowed = platform.config().validate_token(bearer, allowed_scopes=[SCORE_SCOPE])
            except Exception:
                allowed = False
            if not allowed:
                return JSONResponse({"error": "unauthorized"}, 401)
            if request.headers.get("content-type") != "application/vnd.ims.lis.v1.score+json":
                return JSONResponse({"error": "wrong media type"}, 415)
            with platform._lock:
                if platform.fail_scores > 0:
                    platform.fail_scores -= 1
                    return JSONResponse({"error": "down for maintenance"}, 503)
                platform.scores.append({"lineitem": name, **(await request.json())})
            return Response(status_code=200)

        @app.post("/deep-link-return")
        async def deep_link_return(request: Request) -> JSONResponse:
            form = dict(await request.form())
            items = platform.config().validate_deeplinking_resp({"JWT": form["JWT"]})
            platform.content_items.extend(items)
            return JSONResponse({"received": len(items)})

        return app
