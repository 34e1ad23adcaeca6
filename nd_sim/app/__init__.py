"""`nd-sim app`: the meeting tool, a local web app over the same library as the CLI."""
