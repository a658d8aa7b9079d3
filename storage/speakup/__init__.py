"""storage/speakup"""
