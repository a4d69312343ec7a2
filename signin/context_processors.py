from signin import oidc


def single_sign_on(request) -> dict:
    """The sign-in page's "Sign in with …" button, when OIDC_ISSUER and OIDC_CLIENT_ID are set."""
    return {"sso_name": oidc.provider_name()} if oidc.enabled() else {}
