"""A local SF Express CSIM gateway (``EXP_RECE_SEARCH_ROUTES``) replaying parcel routes: ``server.SfExpressSandbox``."""
