"""The file source in the demo: a WeChat mini-program shop's exports (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoFileSource
from orderlayer.sandboxes.files.exports import write_exports

#: the mapping is the documented example (docs/file-sources.md)
DEMO = DemoFileSource(
    "files", "docs/examples/file-source/wechat_shop.yml", "wx-shop-01", write_exports, position=10, erp="kingdee"
)
