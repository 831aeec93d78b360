"""Member hotlines, the countries they serve and the admin's routing choices."""
