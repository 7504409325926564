"""Texts of the messages OFAIR sends (SMS and email), in Hebrew and English."""
