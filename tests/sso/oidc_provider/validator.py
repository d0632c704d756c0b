from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """Claims like Keycloak's or Okta's: e-mail, name and a `groups` claim. Two people make it
    misbehave on purpose: "stranger" gets ID tokens for another audience."""

    oidc_claim_scope = None  # every claim whatever the scopes

    def get_additional_claims(self, request):
        user = request.user
        claims = {
            "name": user.get_full_name(),
            "preferred_username": user.username,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }
        if user.email:
            claims |= {"email": user.email, "email_verified": True}
        if user.username == "stranger":
            claims["aud"] = "another-application"
        return claims
