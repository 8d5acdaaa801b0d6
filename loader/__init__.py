"""The loader: `target-orderlayer`, a Singer target that lands every record losslessly in the warehouse's `raw` schema."""
