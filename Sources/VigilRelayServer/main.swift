print("vigil-relay: not yet")
