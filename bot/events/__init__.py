"""bot/events"""
