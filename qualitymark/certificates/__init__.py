"""Certificates and badges for certified co-operatives."""
