"""Reusable components: they take plain values, never State classes (except the language)."""
