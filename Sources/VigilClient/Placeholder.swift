// VigilClient
