"""Browser keyword-spotting demo (LiteRT.js); see web_demo/README.md."""
