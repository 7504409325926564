"""The Reflex UI: pages/, components/ and state/. State handlers call services, never SQL."""
