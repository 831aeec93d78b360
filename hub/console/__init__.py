"""The secretariat's web console (`/console`): server-rendered pages over the same
services as the API, signed in with an admin token exchanged for a session."""
