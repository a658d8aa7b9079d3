"""bot/help"""
