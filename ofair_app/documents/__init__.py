"""Documents the platform issues as files (tax invoices, statements): rendered to PDF here."""
