"""Site-wide settings: the site's name and the filing numbers in the footer."""
