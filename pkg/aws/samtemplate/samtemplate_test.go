package samtemplate_test

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfncognito "github.com/awslabs/goformation/v7/cloudformation/cognito"
	cfndynamodb "github.com/awslabs/goformation/v7/cloudformation/dynamodb"
	cfnkms "github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"
	"github.com/pb33f/libopenapi"

	"github.com/slotbook/slotbook/api"
	"github.com/slotbook/slotbook/pkg/aws/lambdafn"
	"github.com/slotbook/slotbook/pkg/aws/paramstore"
	"github.com/slotbook/slotbook/pkg/aws/samtemplate"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
)

func load(t *testing.T, params map[string]any) *samtemplate.Template {
	t.Helper()
	path, err := samtemplate.Path()
	if err != nil {
		t.Fatal(err)
	}
	// MailFrom has no default: a deploy must name its SES sender.
	if _, ok := params["MailFrom"]; !ok {
		params = maps.Clone(params)
		if params == nil {
			params = map[string]any{}
		}
		params["MailFrom"] = "bookings@salon.example"
	}
	tpl, err := samtemplate.Load(path, params)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// notifyFunction is the function that sends mails: it serves no route.
const notifyFunction = "NotifyFunction"

// groupOf returns the route group each function of the template serves,
// read from the Makefile: build-<Function> builds ./functions/<group>.
// The notify function serves none and is left out.
func groupOf(t *testing.T, tpl *samtemplate.Template) map[string]httpapi.Group {
	t.Helper()
	needMake(t)
	out := map[string]httpapi.Group{}
	for name := range tpl.Functions {
		pkg, err := samtemplate.Package(name)
		if err != nil {
			t.Fatal(err)
		}
		if name == notifyFunction {
			if pkg != "./functions/notify" {
				t.Fatalf("build-%s builds %s, want ./functions/notify", name, pkg)
			}
			continue
		}
		g := httpapi.Group(strings.TrimPrefix(pkg, "./functions/"))
		if len(httpapi.Routes(g)) == 0 {
			t.Fatalf("build-%s builds %s, which names no route group of pkg/httpapi", name, pkg)
		}
		out[name] = g
	}
	return out
}

// buildCommand returns the command that `make build-<function>` runs.
func buildCommand(t *testing.T, function, artifacts string) []string {
	t.Helper()
	needMake(t)
	cmd, err := samtemplate.BuildCommand(function, artifacts)
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

func needMake(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("make is required under CI=true")
		}
		t.Skip("make is not installed")
	}
}

func routeKey(r httpapi.Route) string { return r.Method + " " + r.Pattern }

// events returns every HttpApi event of the template by route key.
func events(tpl *samtemplate.Template) map[string][]string {
	out := map[string][]string{}
	for name, f := range tpl.Functions {
		for _, e := range f.Events {
			if e.Type == "HttpApi" {
				out[e.RouteKey()] = append(out[e.RouteKey()], name+"."+e.Name)
			}
		}
	}
	return out
}

// openAPIOperations reads api/openapi.yaml: every operation, and whether it
// may be called without a token (security [] or an alternative {}).
func openAPIOperations(t *testing.T) map[string]bool {
	t.Helper()
	doc, err := libopenapi.NewDocument(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	public := map[string]bool{}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			// nil: the document's default, a bearer token.
			open := op.Security != nil && len(op.Security) == 0
			for _, req := range op.Security {
				open = open || req.ContainsEmptyRequirement || req.Requirements == nil || req.Requirements.Len() == 0
			}
			public[strings.ToUpper(method)+" "+path] = open
		}
	}
	if len(public) == 0 {
		t.Fatal("api/openapi.yaml has no operations")
	}
	return public
}

func TestEveryOperationIsServedByExactlyOneFunction(t *testing.T) {
	tpl := load(t, nil)
	groups := groupOf(t, tpl)
	evs := events(tpl)
	for op := range openAPIOperations(t) {
		got := evs[op]
		if len(got) != 1 {
			t.Errorf("%s: template events %v, want exactly one", op, got)
			continue
		}
		fn, _, _ := strings.Cut(got[0], ".")
		if !slices.ContainsFunc(httpapi.Routes(groups[fn]), func(r httpapi.Route) bool { return routeKey(r) == op }) {
			t.Errorf("%s: served by %s in the template, but not a route of group %q in pkg/httpapi", op, fn, groups[fn])
		}
	}
}

func TestEveryRouteIsInTheTemplateAndNothingElse(t *testing.T) {
	tpl := load(t, nil)
	groups := groupOf(t, tpl)
	evs := events(tpl)
	want := map[string]bool{}
	for _, r := range httpapi.Routes() {
		want[routeKey(r)] = true
		got := evs[routeKey(r)]
		if len(got) != 1 {
			t.Errorf("route %s (group %s): template events %v, want exactly one", routeKey(r), r.Group, got)
			continue
		}
		if fn, _, _ := strings.Cut(got[0], "."); groups[fn] != r.Group {
			t.Errorf("route %s of group %s is an event of %s, which serves group %s", routeKey(r), r.Group, fn, groups[fn])
		}
	}
	for key, names := range evs {
		if !want[key] {
			t.Errorf("template events %v route %s, which pkg/httpapi does not serve", names, key)
		}
	}
	ops := openAPIOperations(t)
	for key := range want {
		if _, ok := ops[key]; !ok {
			t.Errorf("route %s is not in api/openapi.yaml", key)
		}
	}
}

func TestPublicRoutesHaveNoAuthorizerAndTheOthersTheJWTOne(t *testing.T) {
	tpl := load(t, nil)
	ops := openAPIOperations(t)
	public := map[string]bool{}
	for _, r := range httpapi.Routes() {
		public[routeKey(r)] = r.Public()
		if open, ok := ops[routeKey(r)]; ok && open != r.Public() {
			t.Errorf("%s: Public = %v in pkg/httpapi, but api/openapi.yaml says open = %v", routeKey(r), r.Public(), open)
		}
	}
	// api.md: the widget and the OAuth callback are public; DELETE bookings
	// too (X-Cancel-Token), its optional JWT is the function's to check.
	for _, key := range []string{
		"GET /v1/companies/{companyId}/profile", "GET /v1/companies/{companyId}/slots",
		"POST /v1/companies/{companyId}/bookings", "DELETE /v1/companies/{companyId}/bookings/{bookingId}",
		"GET /v1/oauth/callback",
	} {
		if !public[key] {
			t.Errorf("%s is not public in pkg/httpapi", key)
		}
	}
	for name, f := range tpl.Functions {
		for _, e := range f.Events {
			if e.Type != "HttpApi" {
				continue // the sweeper's schedule: TestTheSweeperRunsOnASchedule
			}
			if e.APIID != samtemplate.Ref("HttpApi") {
				t.Errorf("%s.%s: ApiId = %q, want the template's HttpApi", name, e.Name, e.APIID)
			}
			if e.PayloadFormatVersion != "" && e.PayloadFormatVersion != "2.0" {
				t.Errorf("%s.%s: payload format %s, want 2.0 (pkg/aws/apigw)", name, e.Name, e.PayloadFormatVersion)
			}
			switch {
			case public[e.RouteKey()] && e.Authorizer != "NONE":
				t.Errorf("%s (%s.%s) is public, but its authorizer is %q, want NONE", e.RouteKey(), name, e.Name, e.Authorizer)
			case !public[e.RouteKey()] && e.Authorizer != "" && e.Authorizer != "CognitoJwt":
				t.Errorf("%s (%s.%s) needs a JWT, but its authorizer is %q, want the default CognitoJwt", e.RouteKey(), name, e.Name, e.Authorizer)
			}
		}
	}
}

func TestTheAuthorizerChecksCognitoIDTokens(t *testing.T) {
	type jwtConfig struct {
		Issuer   any `json:"issuer"`
		Audience any `json:"audience"`
	}
	authorizer := func(t *testing.T, tpl *samtemplate.Template) (string, string, jwtConfig) {
		t.Helper()
		var api serverless.HttpApi
		if err := tpl.Resource("HttpApi", &api); err != nil {
			t.Fatal(err)
		}
		if api.Auth == nil || api.Auth.DefaultAuthorizer == nil {
			t.Fatal("HttpApi has no default authorizer")
		}
		var auths map[string]struct {
			IdentitySource   string
			JwtConfiguration jwtConfig
		}
		if err := remarshal(api.Auth.Authorizers, &auths); err != nil {
			t.Fatal(err)
		}
		a, ok := auths[*api.Auth.DefaultAuthorizer]
		if !ok {
			t.Fatalf("default authorizer %s is not defined", *api.Auth.DefaultAuthorizer)
		}
		return *api.Auth.DefaultAuthorizer, a.IdentitySource, a.JwtConfiguration
	}

	t.Run("with the pool the stack creates", func(t *testing.T) {
		tpl := load(t, nil)
		name, source, cfg := authorizer(t, tpl)
		if name != "CognitoJwt" || source != "$request.header.Authorization" {
			t.Errorf("default authorizer %s reads %s, want CognitoJwt reading $request.header.Authorization", name, source)
		}
		wantIssuer := "https://cognito-idp." + samtemplate.Region + ".amazonaws.com/" + samtemplate.Ref("UserPool")
		if cfg.Issuer != wantIssuer || !reflect.DeepEqual(cfg.Audience, []any{samtemplate.Ref("UserPoolClient")}) {
			t.Errorf("issuer %v, audience %v; want %s and the created app client", cfg.Issuer, cfg.Audience, wantIssuer)
		}
		var pool cfncognito.UserPool
		if err := tpl.Resource("UserPool", &pool); err != nil {
			t.Fatal(err)
		}
		var attrs []string
		for _, a := range pool.Schema {
			attrs = append(attrs, "custom:"+aws.ToString(a.Name))
		}
		for _, a := range []string{"custom:company", "custom:role"} {
			if !slices.Contains(attrs, a) {
				t.Errorf("user pool attributes %v lack %s", attrs, a)
			}
		}
		if pool.AdminCreateUserConfig == nil || pool.AdminCreateUserConfig.AllowAdminCreateUserOnly == nil || !*pool.AdminCreateUserConfig.AllowAdminCreateUserOnly {
			t.Error("users can sign up themselves; want AllowAdminCreateUserOnly")
		}
		var client cfncognito.UserPoolClient
		if err := tpl.Resource("UserPoolClient", &client); err != nil {
			t.Fatal(err)
		}
		// A user who could write these could make themselves admin of any company.
		if client.WriteAttributes == nil {
			t.Error("the app client does not list WriteAttributes, so every attribute is writable")
		}
		for _, a := range []string{"custom:company", "custom:role"} {
			if slices.Contains(client.WriteAttributes, a) {
				t.Errorf("users may write %s (WriteAttributes %v)", a, client.WriteAttributes)
			}
			if !slices.Contains(client.ReadAttributes, a) {
				t.Errorf("ID tokens lack %s (ReadAttributes %v)", a, client.ReadAttributes)
			}
		}
	})

	t.Run("with an existing pool", func(t *testing.T) {
		issuer := "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbCdEfGhI"
		tpl := load(t, map[string]any{"JwtIssuer": issuer, "JwtAudience": "client-a,client-b"})
		_, _, cfg := authorizer(t, tpl)
		if cfg.Issuer != issuer || !reflect.DeepEqual(cfg.Audience, []any{"client-a", "client-b"}) {
			t.Errorf("issuer %v, audience %v; want the parameters", cfg.Issuer, cfg.Audience)
		}
		if tpl.Conditions["CreateUserPool"] || tpl.Has("UserPool") || tpl.Has("UserPoolClient") {
			t.Error("the stack still creates a user pool")
		}
	})
}

func TestTheDashboardSignsInWithTheHostedUI(t *testing.T) {
	const (
		dashboard = "https://app.slotbook.example/dashboard/"
		prefix    = "slotbook-test"
	)
	hostedUI := map[string]any{"DashboardUrl": dashboard, "AuthDomainPrefix": prefix}
	authDomain := "https://" + prefix + ".auth." + samtemplate.Region + ".amazoncognito.com"
	client := func(t *testing.T, tpl *samtemplate.Template) cfncognito.UserPoolClient {
		t.Helper()
		var c cfncognito.UserPoolClient
		if err := tpl.Resource("UserPoolClient", &c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("with the dashboard's address and a domain prefix", func(t *testing.T) {
		tpl := load(t, hostedUI)
		if got := tpl.ResourcesOfType("AWS::Cognito::UserPoolDomain"); !reflect.DeepEqual(got, []string{"UserPoolDomain"}) {
			t.Fatalf("user pool domains %v, want one, UserPoolDomain", got)
		}
		// Not cfncognito.UserPoolDomain: goformation v7.14.9 predates
		// ManagedLoginVersion and refuses it.
		var res samtemplate.Resource
		if err := tpl.Resource("UserPoolDomain", &res); err != nil {
			t.Fatal(err)
		}
		var domain struct {
			Domain, UserPoolId  string
			CustomDomainConfig  any
			ManagedLoginVersion any
		}
		if err := json.Unmarshal(res.Properties, &domain); err != nil {
			t.Fatal(err)
		}
		if res.Condition != "HostedUi" || domain.Domain != prefix || domain.UserPoolId != samtemplate.Ref("UserPool") || domain.CustomDomainConfig != nil {
			t.Errorf("domain %q of pool %q (custom %v, condition %q), want the prefix %q of the created pool under HostedUi",
				domain.Domain, domain.UserPoolId, domain.CustomDomainConfig, res.Condition, prefix)
		}
		if domain.ManagedLoginVersion != float64(1) {
			t.Errorf("ManagedLoginVersion %v, want 1: the classic hosted UI (2 needs a branding resource)", domain.ManagedLoginVersion)
		}

		c := client(t, tpl)
		if c.AllowedOAuthFlowsUserPoolClient == nil || !*c.AllowedOAuthFlowsUserPoolClient {
			t.Error("the app client may not use OAuth (AllowedOAuthFlowsUserPoolClient)")
		}
		// Authorization code (with PKCE), never implicit: tokens stay out of URLs.
		if !reflect.DeepEqual(c.AllowedOAuthFlows, []string{"code"}) {
			t.Errorf("AllowedOAuthFlows %v, want [code]", c.AllowedOAuthFlows)
		}
		if !reflect.DeepEqual(c.AllowedOAuthScopes, []string{"openid", "email", "profile"}) {
			t.Errorf("AllowedOAuthScopes %v, want [openid email profile]", c.AllowedOAuthScopes)
		}
		if !reflect.DeepEqual(c.CallbackURLs, []string{dashboard}) || !reflect.DeepEqual(c.LogoutURLs, []string{dashboard}) {
			t.Errorf("callback URLs %v, logout URLs %v; want the dashboard only, %s", c.CallbackURLs, c.LogoutURLs, dashboard)
		}
		if !reflect.DeepEqual(c.SupportedIdentityProviders, []string{"COGNITO"}) {
			t.Errorf("SupportedIdentityProviders %v, want [COGNITO]", c.SupportedIdentityProviders)
		}
		// A public client: the page holds no secret.
		if c.GenerateSecret == nil || *c.GenerateSecret {
			t.Error("the app client has a secret; the dashboard is a public client")
		}
		// The SRP sign-in stays as it was.
		if !reflect.DeepEqual(c.ExplicitAuthFlows, []string{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}) {
			t.Errorf("ExplicitAuthFlows %v changed", c.ExplicitAuthFlows)
		}

		if out, ok := tpl.Outputs["AuthDomain"]; !ok || out.Value != authDomain {
			t.Errorf("output AuthDomain = %+v, want %s", out, authDomain)
		}
		wantConfig := func(api string) map[string]any {
			return map[string]any{
				"api": api,
				"auth": map[string]any{
					"mode": "cognito", "domain": authDomain, "clientId": samtemplate.Ref("UserPoolClient"), "scopes": "openid email profile",
				},
			}
		}
		dashboardConfig := func(t *testing.T, tpl *samtemplate.Template) map[string]any {
			t.Helper()
			out, ok := tpl.Outputs["DashboardConfig"]
			if !ok {
				t.Fatal("no DashboardConfig output")
			}
			s, _ := out.Value.(string)
			var cfg map[string]any
			if err := json.Unmarshal([]byte(s), &cfg); err != nil {
				t.Fatalf("DashboardConfig %q is not JSON: %v", s, err)
			}
			return cfg
		}
		apiURL := "https://" + samtemplate.Ref("HttpApi") + ".execute-api." + samtemplate.Region + ".amazonaws.com"
		if got, want := dashboardConfig(t, tpl), wantConfig(apiURL); !reflect.DeepEqual(got, want) {
			t.Errorf("DashboardConfig\n\t%s\nwant\n\t%s", toJSON(t, got), toJSON(t, want))
		}
		params := map[string]any{"ApiBaseUrl": "https://api.slotbook.example"}
		for k, v := range hostedUI {
			params[k] = v
		}
		if got, want := dashboardConfig(t, load(t, params)), wantConfig("https://api.slotbook.example"); !reflect.DeepEqual(got, want) {
			t.Errorf("with ApiBaseUrl, DashboardConfig\n\t%s\nwant\n\t%s", toJSON(t, got), toJSON(t, want))
		}
	})

	for _, tc := range []struct {
		name   string
		params map[string]any
	}{
		{"by default", nil},
		{"without a domain prefix", map[string]any{"DashboardUrl": dashboard}},
		{"without the dashboard's address", map[string]any{"AuthDomainPrefix": prefix}},
		{"with an existing pool", map[string]any{
			"DashboardUrl": dashboard, "AuthDomainPrefix": prefix,
			"JwtIssuer": "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbCdEfGhI", "JwtAudience": "client-a",
		}},
	} {
		t.Run("no hosted UI "+tc.name, func(t *testing.T) {
			tpl := load(t, tc.params)
			if tpl.Conditions["HostedUi"] {
				t.Error("condition HostedUi is true")
			}
			if got := tpl.ResourcesOfType("AWS::Cognito::UserPoolDomain"); len(got) != 0 {
				t.Errorf("user pool domains %v, want none", got)
			}
			for _, name := range []string{"AuthDomain", "DashboardConfig"} {
				if out, ok := tpl.Outputs[name]; ok {
					t.Errorf("output %s = %+v, want none", name, out)
				}
			}
			if !tpl.Has("UserPool") {
				if tpl.Has("UserPoolClient") {
					t.Error("an app client without the user pool")
				}
				return
			}
			c := client(t, tpl)
			if c.AllowedOAuthFlowsUserPoolClient != nil || c.AllowedOAuthFlows != nil || c.AllowedOAuthScopes != nil ||
				c.CallbackURLs != nil || c.LogoutURLs != nil || c.SupportedIdentityProviders != nil {
				t.Errorf("the app client has OAuth settings: flows %v (enabled %v), scopes %v, callback %v, logout %v, providers %v",
					c.AllowedOAuthFlows, c.AllowedOAuthFlowsUserPoolClient, c.AllowedOAuthScopes, c.CallbackURLs, c.LogoutURLs, c.SupportedIdentityProviders)
			}
			if len(c.ExplicitAuthFlows) == 0 {
				t.Error("the app client lost its ExplicitAuthFlows")
			}
		})
	}
}

func TestPublicRoutesAreThrottled(t *testing.T) {
	tpl := load(t, nil)
	burst, rate := tpl.Parameters["PublicBurstLimit"], tpl.Parameters["PublicRateLimit"]
	public := map[string]bool{}
	for _, r := range httpapi.Routes() {
		public[routeKey(r)] = r.Public()
	}
	for name, f := range tpl.Functions {
		for _, e := range f.Events {
			if !public[e.RouteKey()] {
				continue
			}
			if e.Throttle == nil || float64(e.Throttle.BurstLimit) != burst || e.Throttle.RateLimit != rate {
				t.Errorf("%s (%s.%s): throttle %+v, want burst %v, rate %v (PublicBurstLimit, PublicRateLimit)", e.RouteKey(), name, e.Name, e.Throttle, burst, rate)
			}
		}
	}
	var api serverless.HttpApi
	if err := tpl.Resource("HttpApi", &api); err != nil {
		t.Fatal(err)
	}
	if d := api.DefaultRouteSettings; d == nil || d.ThrottlingBurstLimit == nil || d.ThrottlingRateLimit == nil {
		t.Error("the API has no default throttle (DefaultRouteSettings)")
	}
}

func TestCORSAllowsTheWidgetOrigins(t *testing.T) {
	t.Run("with origins", func(t *testing.T) {
		tpl := load(t, map[string]any{"CorsOrigins": "https://www.salon.example,https://app.slotbook.example"})
		var api serverless.HttpApi
		if err := tpl.Resource("HttpApi", &api); err != nil {
			t.Fatal(err)
		}
		if api.CorsConfiguration == nil || api.CorsConfiguration.CorsConfigurationObject == nil {
			t.Fatal("no CORS configuration")
		}
		c := api.CorsConfiguration.CorsConfigurationObject
		if want := []string{"https://www.salon.example", "https://app.slotbook.example"}; !reflect.DeepEqual(c.AllowOrigins, want) {
			t.Errorf("AllowOrigins = %v, want %v", c.AllowOrigins, want)
		}
		for _, h := range []string{"authorization", "content-type", "idempotency-key", "x-cancel-token"} {
			if !slices.Contains(c.AllowHeaders, h) {
				t.Errorf("AllowHeaders %v lack %s", c.AllowHeaders, h)
			}
		}
		for _, r := range httpapi.Routes() {
			if !slices.Contains(c.AllowMethods, r.Method) {
				t.Errorf("AllowMethods %v lack %s (%s)", c.AllowMethods, r.Method, routeKey(r))
			}
		}
		if c.AllowCredentials != nil && *c.AllowCredentials {
			t.Error("AllowCredentials is on; the API takes bearer tokens, not cookies")
		}
	})
	t.Run("without origins there is none", func(t *testing.T) {
		var api serverless.HttpApi
		if err := load(t, nil).Resource("HttpApi", &api); err != nil {
			t.Fatal(err)
		}
		if api.CorsConfiguration != nil {
			t.Errorf("CORS configuration %+v without origins", api.CorsConfiguration)
		}
	})
}

func TestTheTableIsTheStoresTable(t *testing.T) {
	tpl := load(t, nil)
	if got := tpl.ResourcesOfType("AWS::DynamoDB::Table"); !reflect.DeepEqual(got, []string{"Table"}) {
		t.Fatalf("tables %v, want one, Table", got)
	}
	in, ttl, err := tpl.CreateTableInput("Table", "t")
	if err != nil {
		t.Fatal(err)
	}
	attrs, keys, indexes, ttlAttribute := dynamo.TableSchema()
	if !equalJSON(t, in.AttributeDefinitions, attrs) || !equalJSON(t, in.KeySchema, keys) {
		t.Errorf("template: attributes %s, key %s; the store's: %s, %s",
			toJSON(t, in.AttributeDefinitions), toJSON(t, in.KeySchema), toJSON(t, attrs), toJSON(t, keys))
	}
	if !equalJSON(t, in.GlobalSecondaryIndexes, indexes) || len(in.LocalSecondaryIndexes) != 0 {
		t.Errorf("template: global indexes %s, local %s; the store's: %s and no local ones",
			toJSON(t, in.GlobalSecondaryIndexes), toJSON(t, in.LocalSecondaryIndexes), toJSON(t, indexes))
	}
	if ttl == nil || aws.ToString(ttl.AttributeName) != ttlAttribute {
		t.Errorf("TTL %s, want on %q", toJSON(t, ttl), ttlAttribute)
	}
	var tbl cfndynamodb.Table
	if err := tpl.Resource("Table", &tbl); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(tbl.BillingMode) != "PAY_PER_REQUEST" {
		t.Errorf("billing mode %v, want on-demand", aws.ToString(tbl.BillingMode))
	}
	if p := tbl.PointInTimeRecoverySpecification; p == nil || p.PointInTimeRecoveryEnabled == nil || !*p.PointInTimeRecoveryEnabled {
		t.Error("point-in-time recovery is off")
	}
	if tbl.DeletionProtectionEnabled == nil || !*tbl.DeletionProtectionEnabled {
		t.Error("deletion protection is off by default")
	}
	if tbl.AWSCloudFormationDeletionPolicy != "Retain" {
		t.Errorf("DeletionPolicy %q, want Retain", tbl.AWSCloudFormationDeletionPolicy)
	}

	var off cfndynamodb.Table
	if err := load(t, map[string]any{"DeletionProtection": "false"}).Resource("Table", &off); err != nil {
		t.Fatal(err)
	}
	if off.DeletionProtectionEnabled == nil || *off.DeletionProtectionEnabled {
		t.Error("DeletionProtection=false leaves deletion protection on")
	}
}

func TestFunctionsAreBuiltAndRunAsLambdaExpects(t *testing.T) {
	tpl := load(t, nil)
	if len(tpl.Functions) != 5 {
		t.Errorf("%d functions, want 5", len(tpl.Functions))
	}
	for name, f := range tpl.Functions {
		if f.Runtime != "provided.al2023" || !reflect.DeepEqual(f.Architectures, []string{"arm64"}) || f.Handler != "bootstrap" || f.CodeURI != "." || f.BuildMethod != "makefile" {
			t.Errorf("%s: runtime %s %v, handler %s, CodeUri %v, BuildMethod %s; want provided.al2023 arm64, bootstrap, ., makefile",
				name, f.Runtime, f.Architectures, f.Handler, f.CodeURI, f.BuildMethod)
		}
		got := strings.Join(buildCommand(t, name, "ART"), " ")
		pkg := "./functions/" + string(groupOf(t, tpl)[name])
		if name == notifyFunction {
			pkg = "./functions/notify"
		}
		want := "CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -trimpath -tags lambda.norpc -ldflags='-s -w' -o ART/bootstrap " + pkg
		if got != want {
			t.Errorf("make build-%s runs\n\t%s\nwant\n\t%s", name, got, want)
		}
	}
}

// variables are the SLOTBOOK_* variables that pkg/config reads in a slotbook process.
var variables = []string{
	config.EnvTable, config.EnvDynamoDBEndpoint, config.EnvKMSKeyID, config.EnvSealKeyFile, config.EnvSecretsPath,
	config.EnvOAuthStateKey, config.EnvPublicURL, config.EnvDashboardURL, config.EnvCalendarDeadline,
	config.EnvJWTIssuer, config.EnvJWTAudience, config.EnvOAuthRedirectURL,
	config.EnvGoogleClientID, config.EnvGoogleClientSecret, config.EnvGoogleAuthURL, config.EnvGoogleTokenURL, config.EnvGoogleAPIURL,
	config.EnvMicrosoftClientID, config.EnvMicrosoftClientSecret, config.EnvMicrosoftAuthURL, config.EnvMicrosoftTokenURL, config.EnvGraphURL,
	config.EnvDevJWTSecret, config.EnvCORSOrigins,
	config.EnvMailFrom, config.EnvSMTPURL, config.EnvMailDir, config.EnvScheduleGroup, config.EnvSchedulerRoleARN,
	config.EnvSESURL, config.EnvSchedulerURL,
}

func TestFunctionEnvironment(t *testing.T) {
	tpl := load(t, nil)
	for name, f := range tpl.Functions {
		want := map[string]string{
			config.EnvTable:                             samtemplate.Ref("Table"),
			config.EnvKMSKeyID:                          samtemplate.GetAtt("SealKey", "Arn"),
			config.EnvGoogleClientID:                    "",
			config.EnvMicrosoftClientID:                 "",
			config.EnvPublicURL:                         "",
			config.EnvDashboardURL:                      "",
			config.EnvSecretsPath:                       "/slotbook/prod",
			config.EnvDynamoDBEndpoint + " (unset)":     "",
			config.EnvSealKeyFile + " (unset)":          "",
			config.EnvOAuthRedirectURL + " (unset)":     "",
			config.EnvDevJWTSecret + " (unset)":         "",
			config.EnvCORSOrigins + " (unset)":          "",
			config.EnvCalendarDeadline + " (unset)":     "",
			paramstore.EnvPort + " (unset)":             "",
			config.EnvTestDynamoDBEndpoint + " (unset)": "",
			config.EnvSMTPURL + " (unset)":              "",
			config.EnvMailDir + " (unset)":              "",
			config.EnvSESURL + " (unset)":               "",
			config.EnvSchedulerURL + " (unset)":         "",
		}
		if name == notifyFunction {
			want[config.EnvMailFrom] = tpl.Parameters["MailFrom"].(string)
			want[config.EnvScheduleGroup] = samtemplate.Ref("NotifySchedules")
			want[config.EnvSchedulerRoleARN] = samtemplate.GetAtt("SchedulerRole", "Arn")
		}
		for k, v := range want {
			if k, unset := strings.CutSuffix(k, " (unset)"); unset {
				if got, ok := f.Env[k]; ok {
					t.Errorf("%s sets %s=%q, which is for local mode, tests or the defaults only", name, k, got)
				}
				continue
			}
			if got, ok := f.Env[k]; !ok || got != v {
				t.Errorf("%s: %s = %q (set: %v), want %q", name, k, got, ok, v)
			}
		}
		for _, k := range []string{config.EnvOAuthStateKey, config.EnvGoogleClientSecret, config.EnvMicrosoftClientSecret} {
			if got, ok := f.Env[k]; ok {
				t.Errorf("%s sets %s=%q; secrets are read from Parameter Store, never put into the environment", name, k, got)
			}
		}
		for k := range f.Env {
			if strings.HasPrefix(k, "SLOTBOOK_") && !slices.Contains(variables, k) {
				t.Errorf("%s sets %s, which pkg/config does not read", name, k)
			}
		}
	}
	// Set once the API's URL is known.
	tpl = load(t, map[string]any{"ApiBaseUrl": "https://api.slotbook.example", "DashboardUrl": "https://app.slotbook.example/dashboard/"})
	for name, f := range tpl.Functions {
		if got := f.Env[config.EnvDashboardURL]; got != "https://app.slotbook.example/dashboard/" {
			t.Errorf("%s: %s = %q, want DashboardUrl", name, config.EnvDashboardURL, got)
		}
		if got := f.Env[config.EnvOAuthRedirectURL]; got != "https://api.slotbook.example/v1/oauth/callback" {
			t.Errorf("%s: %s = %q, want the API's URL + /v1/oauth/callback", name, config.EnvOAuthRedirectURL, got)
		}
	}
	if out, ok := tpl.Outputs["ApiUrl"]; !ok || out.Value != "https://"+samtemplate.Ref("HttpApi")+".execute-api."+samtemplate.Region+".amazonaws.com" {
		t.Errorf("output ApiUrl = %+v, want the HttpApi's execute-api URL", out)
	}
}

// extensionLayer is the ARN of the AWS Parameters and Secrets Lambda
// Extension for arm64: AWS publishes it per region, from an account of its
// own, as a numbered version.
var extensionLayer = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):lambda:([a-z0-9-]+):[0-9]{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:[0-9]+$`)

// TestEveryFunctionHasTheParametersExtension: the functions read their
// secrets through the extension (pkg/aws/paramstore), so every one carries
// its layer, for arm64 and the stack's region, from the template's table or
// the ParametersExtensionLayerArn parameter.
func TestEveryFunctionHasTheParametersExtension(t *testing.T) {
	tpl := load(t, nil)
	table := tpl.Mappings["ParametersAndSecretsExtension"]
	if len(table) < 30 {
		t.Fatalf("the ParametersAndSecretsExtension table has %d regions; AWS lists the extension in over 30", len(table))
	}
	for region, row := range table {
		arn, _ := row["Arm64"].(string)
		m := extensionLayer.FindStringSubmatch(arn)
		if m == nil || m[2] != region {
			t.Errorf("ParametersAndSecretsExtension[%s].Arm64 = %q, not the arm64 extension layer of %s", region, arn, region)
			continue
		}
		partition := "aws"
		switch {
		case strings.HasPrefix(region, "cn-"):
			partition = "aws-cn"
		case strings.HasPrefix(region, "us-gov-"):
			partition = "aws-us-gov"
		}
		if m[1] != partition {
			t.Errorf("ParametersAndSecretsExtension[%s].Arm64 = %q, in partition %s; want %s", region, arn, m[1], partition)
		}
	}
	want, _ := table[samtemplate.Region]["Arm64"].(string)
	for name, f := range tpl.Functions {
		if !reflect.DeepEqual(f.Layers, []string{want}) {
			t.Errorf("%s: layers %v, want the extension of %s, %s", name, f.Layers, samtemplate.Region, want)
		}
	}
	newer := strings.TrimSuffix(want, want[strings.LastIndex(want, ":")+1:]) + "999"
	for name, f := range load(t, map[string]any{"ParametersExtensionLayerArn": newer}).Functions {
		if !reflect.DeepEqual(f.Layers, []string{newer}) {
			t.Errorf("with ParametersExtensionLayerArn, %s: layers %v, want %s", name, f.Layers, newer)
		}
	}
}

// itemActions are the DynamoDB actions on items that a function may be
// granted; table management, scans and PartiQL never.
var itemActions = []string{
	"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
	"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
	"dynamodb:ConditionCheckItem", "dynamodb:BatchWriteItem",
}

func TestEachFunctionHasItsOwnNarrowPolicy(t *testing.T) {
	tpl := load(t, nil)
	groups := groupOf(t, tpl)
	param := func(name string) string {
		return "arn:aws:ssm:" + samtemplate.Region + ":" + samtemplate.AccountID + ":parameter" + tpl.Parameters["SecretsPath"].(string) + "/" + name
	}
	for name, f := range tpl.Functions {
		if name == notifyFunction {
			checkNotifyPolicy(t, tpl, f)
			continue
		}
		// Every function refreshes OAuth tokens (reads, writes, the sweeper);
		// only the one that serves the OAuth routes signs and checks states.
		secrets := []string{param(config.ParamGoogleClientSecret), param(config.ParamMicrosoftClientSecret)}
		if servesOAuth(groups[name]) {
			secrets = append(secrets, param(config.ParamOAuthStateKey))
		}
		if f.Role != "" || len(f.ManagedPolicies) > 0 {
			t.Errorf("%s: role %q, managed policies %v; want only its own inline policy", name, f.Role, f.ManagedPolicies)
		}
		granted := map[string]bool{}
		for _, s := range f.Statements {
			if s.Effect != "Allow" || len(s.NotAction) > 0 {
				t.Errorf("%s %s: effect %s, NotAction %v; want Allow with Action", name, s.Sid, s.Effect, s.NotAction)
			}
			if len(s.Resource) == 0 {
				t.Errorf("%s %s: no Resource", name, s.Sid)
			}
			for _, a := range s.Action {
				granted[a] = true
				if strings.Contains(a, "*") {
					t.Errorf("%s %s: wildcard action %s", name, s.Sid, a)
				}
				service, _, _ := strings.Cut(a, ":")
				for _, r := range s.Resource {
					ok := false
					switch service {
					case "dynamodb":
						ok = r == samtemplate.GetAtt("Table", "Arn") && slices.Contains(itemActions, a) ||
							// the customers index, for the function that exports and erases customer data
							r == samtemplate.GetAtt("Table", "Arn")+"/index/"+dynamo.CustomerIndex && a == "dynamodb:Query" &&
								servesCustomers(groups[name])
					case "kms":
						ok = r == samtemplate.GetAtt("SealKey", "Arn") && (a == "kms:GenerateDataKey" || a == "kms:Decrypt")
					case "ssm":
						// The secrets under SecretsPath this function needs, one by one,
						// as the Parameters and Secrets extension reads them.
						ok = a == "ssm:GetParameter" && slices.Contains(secrets, r)
					}
					if !ok {
						t.Errorf("%s %s: %s on %s is not one of the grants this function needs", name, s.Sid, a, r)
					}
				}
			}
		}
		// Every function reads the table, opens sealed secrets and reads the
		// OAuth secrets it needs.
		for _, a := range []string{"dynamodb:GetItem", "dynamodb:Query", "kms:Decrypt"} {
			if !granted[a] {
				t.Errorf("%s lacks %s", name, a)
			}
		}
		for _, r := range secrets {
			if !slices.ContainsFunc(f.Statements, func(s samtemplate.Statement) bool {
				return slices.Contains(s.Action, "ssm:GetParameter") && slices.Contains(s.Resource, r)
			}) {
				t.Errorf("%s may not ssm:GetParameter %s, which it reads on first need", name, r)
			}
		}
		// The reading functions write nothing but a connection's status.
		if g := groups[name]; g == httpapi.Widget || g == httpapi.Overview {
			for _, a := range []string{"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"} {
				if granted[a] {
					t.Errorf("%s serves reads (group %s) but may %s", name, g, a)
				}
			}
		}
	}
}

// servesCustomers reports whether group serves the customer-data routes.
func servesCustomers(group httpapi.Group) bool {
	return slices.ContainsFunc(httpapi.Routes(group), func(r httpapi.Route) bool { return strings.Contains(r.Pattern, "/customers/") })
}

// servesOAuth reports whether group serves the routes that start or
// complete an OAuth flow, which sign or check a state.
func servesOAuth(group httpapi.Group) bool {
	return slices.ContainsFunc(httpapi.Routes(group), func(r httpapi.Route) bool {
		return strings.Contains(r.Pattern, "/oauth") || (r.Method == "POST" && strings.HasSuffix(r.Pattern, "/calendars"))
	})
}

func TestTheKeyPolicyDelegatesToIAMOnly(t *testing.T) {
	tpl := load(t, nil)
	var key cfnkms.Key
	if err := tpl.Resource("SealKey", &key); err != nil {
		t.Fatal(err)
	}
	if key.EnableKeyRotation == nil || !*key.EnableKeyRotation {
		t.Error("key rotation is off")
	}
	var policy struct {
		Statement []struct {
			Effect    string
			Principal map[string]any
			Action    any
			Resource  any
		}
	}
	if err := remarshal(key.KeyPolicy, &policy); err != nil {
		t.Fatal(err)
	}
	root := "arn:aws:iam::" + samtemplate.AccountID + ":root"
	for _, s := range policy.Statement {
		if s.Principal["AWS"] != root {
			t.Errorf("key policy grants %v to %v, want only the account (IAM policies decide)", s.Action, s.Principal)
		}
	}
	if len(policy.Statement) == 0 {
		t.Error("empty key policy")
	}
}

func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func equalJSON(t *testing.T, a, b any) bool { return toJSON(t, a) == toJSON(t, b) }

// TestTheSweeperRunsOnASchedule: the Book function, and only it, is
// invoked every few minutes with the payload that makes it sweep; every
// other event of every function is an HTTP API route.
func TestTheSweeperRunsOnASchedule(t *testing.T) {
	tpl := load(t, nil)
	groups := groupOf(t, tpl)
	sweeps := 0
	for name, f := range tpl.Functions {
		if name == notifyFunction {
			continue // TestTheNotifyFunctionIsFedByTheStreamAndItsSchedules
		}
		for _, e := range f.Events {
			switch {
			case e.Type == "HttpApi":
			case e.Type == "Schedule" && groups[name] == httpapi.Book:
				sweeps++
				if e.Schedule != "rate(5 minutes)" || e.Input != lambdafn.SweepEvent {
					t.Errorf("%s.%s: schedule %q with input %q, want rate(5 minutes) with %s", name, e.Name, e.Schedule, e.Input, lambdafn.SweepEvent)
				}
			default:
				t.Errorf("%s.%s: event of type %s", name, e.Name, e.Type)
			}
		}
	}
	if sweeps != 1 {
		t.Errorf("%d sweep schedules, want 1 on the Book function", sweeps)
	}
}
