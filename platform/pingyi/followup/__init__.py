"""The followup context: 差评 answered by departments and rectification (整改) tasks (SPEC §2, §4; issue 10)."""
