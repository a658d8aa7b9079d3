"""bot/conversation"""
