"""Help: the menu of what peerbot does, and the answer to anything no feature claims."""
