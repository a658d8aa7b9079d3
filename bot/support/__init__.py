"""bot/support"""
