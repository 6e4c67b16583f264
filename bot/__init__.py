"""PMKS intake and counseling-appointment service for the province of Banten."""
