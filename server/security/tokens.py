"""Signed tokens: a case token lets a customer back into their own case, an agent token into the console.

The case id inside a case token is random (UUID4) and the token is signed, so a token can be
neither guessed nor altered to point at another case.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from ..core.errors import HelpwireError


class InvalidToken(HelpwireError):
    code = "invalid_token"


class ExpiredToken(InvalidToken):
    code = "token_expired"


@dataclass(frozen=True)
class TokenSigner:
    secret: str
    agent_ttl_seconds: int

    def case_token(self, case_id: str) -> str:
        return str(URLSafeSerializer(self.secret, salt="helpwire.case").dumps({"c": case_id}))

    def case_id(self, token: object) -> str:
        if not isinstance(token, str) or len(token) > 512:
            raise InvalidToken("the case token is missing or malformed; start a new Help request")
        try:
            data = URLSafeSerializer(self.secret, salt="helpwire.case").loads(token)
        except BadSignature as exc:
            raise InvalidToken("the case token is not valid; start a new Help request") from exc
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            raise InvalidToken("the case token is not valid; start a new Help request")
        return str(data["c"])

    def agent_token(self, agent_id: str, version: int = 0) -> str:
        """A console token for ``agent_ttl_seconds``, of the agent's current token version."""
        serializer = URLSafeTimedSerializer(self.secret, salt="helpwire.agent")
        return str(serializer.dumps({"a": agent_id, "v": version}))

    def agent_id(self, token: object) -> str:
        return self.agent_claims(token).agent_id

    def agent_claims(self, token: object) -> AgentClaims:
        """Who the token is for, its version and when it expires; refused if expired or forged."""
        if not isinstance(token, str) or len(token) > 512:
            raise InvalidToken("sign in first: the agent token is missing or malformed")
        serializer = URLSafeTimedSerializer(self.secret, salt="helpwire.agent")
        try:
            data, signed_at = serializer.loads(token, max_age=self.agent_ttl_seconds,
                                               return_timestamp=True)
        except SignatureExpired as exc:
            raise ExpiredToken("the agent session has expired; sign in again") from exc
        except BadSignature as exc:
            raise InvalidToken("the agent token is not valid; sign in again") from exc
        if not isinstance(data, dict) or not isinstance(data.get("a"), str):
            raise InvalidToken("the agent token is not valid; sign in again")
        version = data.get("v", 0)
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidToken("the agent token is not valid; sign in again")
        return AgentClaims(str(data["a"]), version,
                           signed_at.timestamp() + self.agent_ttl_seconds)


@dataclass(frozen=True)
class AgentClaims:
    agent_id: str
    #: the agent's token version when it was issued (agents.token_version)
    version: int
    #: Unix time after which the token is refused
    expires_at: float


class RevokedToken(InvalidToken):
    """Signed out, or the password changed, since this token was issued."""

    code = "token_revoked"


def check_version(claims: AgentClaims, current: int) -> None:
    if claims.version != current:
        raise RevokedToken("this session was signed out or its password changed; sign in again")
