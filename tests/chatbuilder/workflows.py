"""Workflow documents the scripted model answers with."""

DIGEST = """\
loom: 1
name: page-digest
description: Summarize a page and reply.
inputs:
  url: {type: string}
triggers:
  - {type: telegram, command: digest, args: [url]}
steps:
  - id: fetch
    type: http
    url: ${{ inputs.url }}
  - id: summarize
    type: llm
    model: openai/gpt-4o-mini
    prompt: "Summarize: ${{ steps.fetch.output.text }}"
  - id: answer
    type: reply
    text: ${{ steps.summarize.output.text }}
outputs:
  summary: ${{ steps.summarize.output.text }}
"""

# The same with a misspelled field (`urll`) and a reference to a step that does not exist.
BROKEN = DIGEST.replace("    url: ${{ inputs.url }}", "    urll: ${{ inputs.url }}").replace(
    "steps.summarize.output.text }}\noutputs", "steps.summary.output.text }}\noutputs")

# DIGEST that also sends the summary to a WhatsApp number and posts it to a webhook.
DIGEST_WHATSAPP = DIGEST.replace("outputs:", """\
  - id: forward
    type: send
    channel: whatsapp
    to: ${{ secrets.WHATSAPP_TO }}
    text: ${{ steps.summarize.output.text }}
  - id: archive
    type: http
    method: POST
    url: https://archive.example.net/entries
    json: {summary: "${{ steps.summarize.output.text }}"}
outputs:""")
