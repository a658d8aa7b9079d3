"""bot/mentoring"""
