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

    def agent_token(self, agent_id: str) -> str:
        serializer = URLSafeTimedSerializer(self.secret, salt="helpwire.agent")
        return str(serializer.dumps({"a": agent_id}))

    def agent_id(self, token: object) -> str:
        if not isinstance(token, str) or len(token) > 512:
            raise InvalidToken("sign in first: the agent token is missing or malformed")
        serializer = URLSafeTimedSerializer(self.secret, salt="helpwire.agent")
        try:
            data = serializer.loads(token, max_age=self.agent_ttl_seconds)
        except SignatureExpired as exc:
            raise ExpiredToken("the agent session has expired; sign in again") from exc
        except BadSignature as exc:
            raise InvalidToken("the agent token is not valid; sign in again") from exc
        if not isinstance(data, dict) or not isinstance(data.get("a"), str):
            raise InvalidToken("the agent token is not valid; sign in again")
        return str(data["a"])
