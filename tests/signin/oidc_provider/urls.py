import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from jwcrypto import jwk
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import JwksInfoView


class Validator(OAuth2Validator):
    """The person's address in the ID token and userinfo; a person in the group "unverified"
    has it with email_verified false (an address the provider never confirmed)."""

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": not user.groups.filter(name="unverified").exists(),
            "name": user.get_full_name() or user.username,
        }


def jwks(request):
    """The provider's public keys, or, in the "wrong-key" mode, another key published under the
    signing key's kid (as if the keys had been tampered with)."""
    mode_file = Path(settings.CONFIG["mode_file"])
    mode = mode_file.read_text().strip() if mode_file.exists() else ""
    if mode != "wrong-key":
        return JwksInfoView.as_view()(request)
    real = jwk.JWK.from_pem(settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"].encode())
    other = jwk.JWK.from_pem(Path(settings.CONFIG["other_key"]).read_bytes())
    data = json.loads(other.export_public())
    data.update({"alg": "RS256", "use": "sig", "kid": real.thumbprint()})
    return JsonResponse({"keys": [data]})


urlpatterns = [
    path("o/.well-known/jwks.json", jwks),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
]
