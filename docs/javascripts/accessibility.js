// Material's search dialog has no accessible name (axe-core: aria-dialog-name, serious).
document.querySelectorAll('.md-search[role="dialog"]').forEach((dialog) => dialog.setAttribute("aria-label", "Search"));
