"""HTTP concerns of the whole served app (Reflex pages, Reflex's backend routes and the API)."""
