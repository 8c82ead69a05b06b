"""Bounded context: complaints."""
