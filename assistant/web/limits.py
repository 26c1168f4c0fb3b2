"""What the web app accepts from a visitor: bounded history, a checked chat, the admin token. No gradio."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from pydantic import SecretStr

# Uploads: the UI has no file input, so gradio's /upload route gets a token limit (a larger body is refused
# with 413 while it streams in, before it fills the temp folder). SEE: issue 12 "Limits and abuse".
UPLOAD_LIMIT = "1kb"
# One message longer than this is refused (politely), not cut: the parser keeps a long paste's opening and
# its final question, so anything a parent really pastes fits; a 10 MB body is not a question.
MAX_MESSAGE_CHARS = 100_000
# The chat the browser sends back with each question is client data: keep at most this much of it, so a
# forged history cannot make the server hold and stream back megabytes. Our own answers stay far below.
MAX_CHAT_MESSAGES = 100
MAX_CHAT_CHARS = 400_000
MAX_CHAT_MESSAGE_CHARS = 40_000
ROLES = ("user", "assistant")


@dataclass
class CheckedChat:
    """The chat as the server keeps it: `dropped` leading messages removed; `forged` if any was malformed."""

    messages: list[dict]
    dropped: int = 0
    forged: bool = False


def check_chat(chat: object) -> CheckedChat:
    """Keep the newest well-formed messages within the limits; anything else is dropped, never echoed back."""
    if not isinstance(chat, list):
        return CheckedChat([], forged=chat not in (None, ""))
    original, forged = len(chat), False
    if len(chat) > MAX_CHAT_MESSAGES * 4:
        # Far beyond what this app ever produces: do not even look at the old part.
        chat, forged = chat[-MAX_CHAT_MESSAGES:], True
    kept: list[dict] = []
    total = 0
    for message in reversed(chat):
        text = _text_of(message)
        if text is None:
            forged = True
            break
        size = len(text)
        if total + size > MAX_CHAT_CHARS:
            forged = True  # our own answers never add up to this much
            break
        if len(kept) >= MAX_CHAT_MESSAGES:
            break  # a long, real conversation: the oldest turns scroll away
        kept.append({"role": message["role"], "content": text})
        total += size
    kept.reverse()
    # Start the kept part at a question, so an answer never shows without the question it belongs to.
    while kept and kept[0]["role"] != "user":
        kept.pop(0)
    return CheckedChat(kept, dropped=original - len(kept), forged=forged)


def _text_of(message: object) -> str | None:
    """The text of one chat message as gradio hands it over (a string or text blocks); None if not ours."""
    if not isinstance(message, dict) or message.get("role") not in ROLES:
        return None
    content = message.get("content")
    if isinstance(content, list):
        # Only text blocks: this app never shows files or components in the chat.
        if not all(
            isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
            for b in content
        ):
            return None
        content = "".join(b["text"] for b in content)
    if not isinstance(content, str) or len(content) > MAX_CHAT_MESSAGE_CHARS:
        return None
    return content


def cap_history(questions: list[str], turns: int, chars: int) -> list[str]:
    """The newest earlier questions that fit in `turns` items and `chars` characters (oldest dropped first)."""
    recent = [q for q in questions if isinstance(q, str)][-turns:] if turns > 0 else []
    kept: list[str] = []
    total = 0
    for question in reversed(recent):
        if total + len(question) > chars:
            if not kept:
                kept.append(keep_ends(question, chars))
            break
        kept.append(question)
        total += len(question)
    return kept[::-1]


def keep_ends(text: str, limit: int) -> str:
    """`text` within `limit` characters: its opening and its end, where a pasted message puts its question."""
    if len(text) <= limit:
        return text
    if limit < 3:
        return text[-limit:] if limit > 0 else ""
    head = limit // 3
    return f"{text[:head]}…{text[-(limit - head - 1) :]}"


def token_matches(configured: SecretStr | None, given: object) -> bool:
    """Constant-time check of an admin token; always False when no token is configured."""
    if configured is None or not isinstance(given, str) or not given:
        return False
    expected = configured.get_secret_value()
    if not expected:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
