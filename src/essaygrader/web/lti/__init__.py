"""The LTI 1.3 tool's HTTP side: JWKS, OIDC login, launch, the student page, deep linking."""
