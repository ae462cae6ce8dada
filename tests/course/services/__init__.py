"""The course's services (posts 11 and 14), ported line by line: what a Moleculer user writes on day one."""
