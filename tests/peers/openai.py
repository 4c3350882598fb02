"""Answers in the shape of OpenAI's chat completions API, for a `LocalServer` posing as the model."""

from __future__ import annotations


def completion(content: str, prompt_tokens: int = 12, completion_tokens: int = 5,
               model: str = "gpt-4o-mini") -> tuple[int, dict, dict]:
    return 200, {}, {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1700000000, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }
