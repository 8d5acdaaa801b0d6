"""Gate results to the people who own them: DingTalk, WeCom, Slack and e-mail (docs/alerts.md).

`dispatch.notify` runs after `check`; `settings.AlertSettings` is the `alerts:` block of orderlayer.yml.
"""
