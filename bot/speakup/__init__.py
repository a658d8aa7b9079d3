"""Speaking up, the whole feature: the reporter's flow and guardian casework, sealed cases,
codes and passphrases, alerts and figures. bot.speakup.feature is its one router entry."""
