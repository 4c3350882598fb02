"""What a request asks for, read with plain rules: URLs, schedule, channels, model, action, retries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .schedule import Schedule, parse_schedule, parse_timezone

URL = re.compile(r"https?://[^\s<>\"'`)\]]+")
CHANNELS = ("telegram", "whatsapp", "email", "webhook")
CHANNEL_WORDS = r"(telegram|whatsapp|whats app|e-?mail|mail|webhook)"
SEND_VERB = (r"\b(?:(?:send|post|notify|alert|forward|deliver|push|ping|text|share|report|tell)(?:s|es|ed)?|message)\b"
             r"[^.;]*?"
             rf"\b(?:to|on|via|in|over|through|by)\s+(?:my|the|our|a|an)?\s*(?:team'?s?\s+)?{CHANNEL_WORDS}\b")
MODELS = [  # (pattern, LiteLLM model), most specific first
    (r"\b((?:openai|anthropic|ollama|ollama_chat|gemini|mistral|groq|deepseek|openrouter)/[\w.:/-]+)", None),
    (r"\bclaude[\s-]*(?:3[.\s-]*5[\s-]*)?sonnet\b", "anthropic/claude-3-5-sonnet-latest"),
    (r"\bclaude[\s-]*(?:3[.\s-]*)?opus\b", "anthropic/claude-3-opus-latest"),
    (r"\bclaude\b|\banthropic\b", "anthropic/claude-3-5-haiku-latest"),
    (r"\bgpt[\s-]*4o[\s-]*mini\b", "openai/gpt-4o-mini"),
    (r"\bgpt[\s-]*4o\b", "openai/gpt-4o"),
    (r"\bgpt[\s-]*4\.1[\s-]*mini\b", "openai/gpt-4.1-mini"),
    (r"\bgpt[\s-]*4\.1\b", "openai/gpt-4.1"),
    (r"\bo3[\s-]*mini\b", "openai/o3-mini"),
    (r"\bollama\b[^.]*?\b(llama\s*3(?:\.\d)?|mistral|qwen[\d.]*|phi[\d.]*|gemma[\d.]*)", "ollama/{0}"),
    (r"\b(llama\s*3(?:\.\d)?)\b", "ollama/{0}"),
    (r"\bollama\b|\blocal(?:ly)?\s+(?:model|llm)\b|\bself[\s-]hosted\b", "ollama/llama3.2"),
    (r"\bgemini\b", "gemini/gemini-1.5-flash"),
    (r"\bmistral\b", "mistral/mistral-small-latest"),
    (r"\bgpt\b|\bopenai\b|\bchatgpt\b", "openai/gpt-4o-mini"),
]
ACTIONS = [  # (action, pattern), first match wins
    ("monitor", r"\b(?:monitor|uptime|is\s+(?:up|down)|goes\s+down|health|ping\s+https?|alert\s+me\s+(?:if|when))"),
    ("translate", r"\btranslat"),
    ("classify", r"\b(?:classif|categori[sz]|triage|label|sentiment|tag\b)"),
    ("summarize", r"\b(?:summar|digest|tl;?dr|recap|brief(?:ing)?|key\s+points|gist)"),
    ("answer", r"\b(?:answer|chat\s*bot|assistant|ask\s+(?:a|the)\s+(?:model|llm|ai)|questions?)\b"),
    ("remind", r"\b(?:remind|reminder|say|saying|greet|message\s+me)\b"),
    ("fetch", r"\b(?:fetch|get|download|call|poll|check|scrape|read|load|request)(?:es|s|ed|ing)?\b"),
]
QUOTED = re.compile(r"[\"“]([^\"”]{2,200})[\"”]")
LANGUAGES = ("english", "german", "french", "spanish", "italian", "dutch", "portuguese", "japanese", "chinese",
             "polish", "swedish", "turkish", "ukrainian", "russian", "korean", "arabic", "hindi")


@dataclass
class Intent:
    text: str
    urls: list[str] = field(default_factory=list)
    schedule: Schedule | None = None
    timezone: str | None = None
    triggers: list[str] = field(default_factory=list)  # telegram, whatsapp, webhook (cron comes from schedule)
    command: str | None = None
    sends: list[str] = field(default_factory=list)  # channels a send step delivers to
    model: str | None = None
    action: str = "fetch"
    retries: int | None = None
    language: str | None = None
    message: str | None = None  # the fixed text of a reminder
    method: str = "GET"


def read_intent(text: str) -> Intent:
    low = text.lower()
    intent = Intent(text, urls=_urls(text), schedule=parse_schedule(QUOTED.sub(" ", _without_urls(text))),
                    timezone=parse_timezone(text), model=parse_model(text), retries=parse_retries(text))
    intent.action = next((name for name, pattern in ACTIONS if re.search(pattern, low)), "fetch")
    if intent.action in ("answer", "remind") and intent.urls:
        intent.action = "fetch"  # "a webhook that fetches URL and returns the answer"
    if intent.action == "fetch" and not intent.urls and not re.search(r"\b(?:url|link|page|api|endpoint)\b", low):
        intent.action = "remind" if re.search(r"\b(?:send|post|notify|message)\b", low) else "answer"
    intent.sends = parse_sends(text)
    intent.command = parse_command(text)
    intent.triggers = _triggers(low, intent)
    intent.language = next((lang.title() for lang in LANGUAGES if re.search(rf"\b(?:to|into)\s+{lang}\b", low)),
                           None)
    quoted = QUOTED.search(text)
    intent.message = quoted.group(1) if quoted else None
    if re.search(r"\bpost\s+(?:\w+\s+){0,3}(?:to|at)\s+https?://", low) or "json body" in low:
        intent.method = "POST"
    return intent


def parse_model(text: str) -> str | None:
    low = text.lower()
    for pattern, model in MODELS:
        match = re.search(pattern, low)
        if match:
            if model is None:
                return match.group(1).rstrip(".,;")
            return model.format(re.sub(r"\s+", "", match.group(1))) if "{0}" in model else model
    return None


def parse_retries(text: str) -> int | None:
    match = re.search(r"\bretr(?:y|ies)\b[^.\d]{0,30}?(\d{1,3})\s*(?:times|x|attempts|tries)?|"
                      r"(\d{1,3})\s*(?:retries|attempts|tries)\b", text.lower())
    if not match:
        return None
    number = int(match.group(1) or match.group(2))
    return max(1, min(number, 100))


def parse_sends(text: str) -> list[str]:
    """Channels the request asks to deliver to ("send it to telegram", "email me")."""
    low = text.lower()
    found = [_channel(m.group(1)) for m in re.finditer(SEND_VERB, low)
             if not re.search(r"\b(?:i|we|someone|they|people|users?|customers?|messages?)\s+$",
                              low[max(0, m.start() - 25):m.start()])]
    found += [_channel(m) for m in re.findall(rf"\b(?:to|on|via)\s+(?:my|the|our)?\s*{CHANNEL_WORDS}\b\s*"
                                              r"(?:group|chat|channel)", low)]
    if re.search(r"\be-?mail\s+(?:me|it|the|a|us|them|to)\b|\bby\s+e-?mail\b", low):
        found.append("email")
    if re.search(r"\b(?:to|into)\s+(?:a|my|our|the)?\s*webhook\b", low):
        found.append("webhook")
    return list(dict.fromkeys(found))


def parse_command(text: str) -> str | None:
    match = re.search(r"(?:^|\s)/([a-z0-9_]{1,32})\b(?!\.)", text.lower())
    if match and not re.match(r"https?:", text[max(0, match.start() - 6):match.start() + 1].strip().lower()):
        return match.group(1)
    match = re.search(r"\bcommand\s+[\"'`]?/?([a-z0-9_]{1,32})", text.lower())
    return match.group(1) if match else None


TRIGGER_WORDS = (r"\b(?:from|bot|command|commands|when\s+(?:i|we|someone|somebody|a\s+user|people|customers?)|"
                 r"(?:i|we|someone|people|users?|customers?)\s+(?:send|write|type|message|ask)s?|asks?|"
                 r"repl(?:y|ies)|answers?|respond|responds|incoming)\b")


def _triggers(low: str, intent: Intent) -> list[str]:
    """Channels that start the workflow; a mentioned channel that is not one becomes a send."""
    found = []
    for channel in ("telegram", "whatsapp"):
        if not re.search(rf"\b{channel}\b" + (r"|\bwhats app\b" if channel == "whatsapp" else ""), low):
            continue
        if channel in intent.sends:
            continue  # "send it to telegram": a target, not a door
        if re.search(TRIGGER_WORDS, low) or (channel == "telegram" and intent.command) or intent.schedule is None:
            found.append(channel)
        else:
            intent.sends.append(channel)  # "every monday remind the team on telegram"
    if intent.command and not found:
        found.append("telegram")
    if re.search(r"\bwebhook\b|\bapi\s+call\b|\bhttp\s+(?:endpoint|trigger)\b|\bvia\s+(?:the\s+)?api\b", low) and \
            "webhook" not in intent.sends:
        found.append("webhook")
    if not found and intent.schedule is None:
        found.append("webhook")  # something must be able to start it besides `loom run`
    return found


def _channel(word: str) -> str:
    word = word.replace(" ", "").replace("-", "")
    return "email" if word in ("email", "mail") else word


def _urls(text: str) -> list[str]:
    return list(dict.fromkeys(url.rstrip(".,;:!?") for url in URL.findall(text)))


def _without_urls(text: str) -> str:
    return URL.sub(" ", text)


__all__ = ["CHANNELS", "Intent", "parse_command", "parse_model", "parse_retries", "parse_sends", "read_intent"]
