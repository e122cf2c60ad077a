"""Push and pull between the database and WeChat, shared by the admin and the commands."""
