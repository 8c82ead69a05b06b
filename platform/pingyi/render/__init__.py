"""Infrastructure layer: rendering shared by contexts — the CJK font for charts and printed PDFs."""
