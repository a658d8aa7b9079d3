"""bot/organisation"""
