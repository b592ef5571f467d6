package ddl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/internal/testenv"
)

var (
	lakeDates    = []string{"2026-01-01", "2026-01-02"}
	lakeAccounts = []string{"17841400000000001", "17841400000000002"}
)

// writeLake writes one file per (stream, dt, account) at the export layout,
// with rows of the schema's own row types, and returns the lake root.
func writeLake(t *testing.T, prefix string) string {
	t.Helper()
	root := t.TempDir()
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	for _, dt := range lakeDates {
		d, _ := schema.ParseDate(dt)
		for _, acct := range lakeAccounts {
			dir := func(stream string) string {
				return filepath.Join(root, prefix, stream, "dt="+dt, "account_id="+acct)
			}
			write(t, dir(schema.Users), []schema.User{{ID: acct, IGID: schema.Ptr(int64(1)), Username: schema.Ptr("brand"), FollowersCount: schema.Ptr(int64(1) << 40), FetchedAt: at}})
			write(t, dir(schema.Media), []schema.MediaRow{
				{ID: "m1", MediaType: schema.Ptr("CAROUSEL_ALBUM"), Timestamp: &at, LikeCount: schema.Ptr(int64(3)), IsCommentEnabled: schema.Ptr(true),
					Children: []schema.Child{{ID: "c1", MediaType: schema.Ptr("IMAGE"), Timestamp: &at}, {ID: "c2"}}, FetchedAt: at},
				{ID: "m2", FetchedAt: at},
			})
			write(t, dir(schema.MediaInsights), []schema.MediaInsight{{ID: "m1", Views: schema.Ptr(int64(0)), InsightsStatus: schema.StatusOK, FetchedAt: at}})
			write(t, dir(schema.Stories), []schema.Story{{ID: "s1", Timestamp: &at, FetchedAt: at}})
			write(t, dir(schema.StoryInsights), []schema.StoryInsight{{ID: "s1", Reach: schema.Ptr(int64(9)), InsightsStatus: schema.StatusNotEnoughViewers, FetchedAt: at}})
			write(t, dir(schema.UserInsights), []schema.UserInsight{{Date: d, Reach: schema.Ptr(int64(5)),
				OnlineFollowers: []schema.HourFollowers{{Hour: 0, Followers: 7}, {Hour: 23, Followers: 8}}, FetchedAt: at}})
			write(t, dir(schema.UserLifetimeInsights), []schema.LifetimeInsight{
				{Metric: "follower_demographics", Timeframe: "this_month", Breakdown: "age,gender", Age: schema.Ptr("25-34"), Gender: schema.Ptr("F"), Value: 10, FetchedAt: at},
				{Metric: "follower_demographics", Timeframe: "this_month", Breakdown: "age,gender", Age: schema.Ptr("25-34"), Gender: schema.Ptr("M"), Value: 11, FetchedAt: at},
			})
			write(t, dir(schema.Comments), []schema.Comment{
				{ID: "c1", MediaID: "m1", Text: schema.Ptr("nice"), Username: schema.Ptr("fan"), Timestamp: &at, LikeCount: schema.Ptr(int64(2)), Hidden: schema.Ptr(false), FetchedAt: at},
				{ID: "c2", MediaID: "m1", ParentID: schema.Ptr("c1"), Timestamp: &at, FetchedAt: at},
			})
		}
	}
	return root
}

func write[T any](t *testing.T, dir string, rows []T) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := parquet.WriteFile(filepath.Join(dir, "part-00000.parquet"), rows, parquet.Compression(&parquet.Zstd)); err != nil {
		t.Fatal(err)
	}
}

// TestDuckDBViews runs the DuckDB DDL over a generated lake and checks that
// every view has the file columns with the types DuckDB reads from Parquet,
// plus dt DATE and account_id VARCHAR from the keys.
func TestDuckDBViews(t *testing.T) {
	duck := testenv.DuckDB(t)
	root := writeLake(t, "instagram")
	sql, err := Generate(Options{Dialect: "duckdb", Location: filepath.ToSlash(root), Prefix: "instagram", Streams: schema.Names()})
	if err != nil {
		t.Fatal(err)
	}
	duck.Query(t, sql)

	// One query for the columns of every view, one for the partitions they see.
	described := map[string]map[string]string{}
	for _, r := range duck.Query(t, `SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY table_name, ordinal_position`) {
		tbl := fmt.Sprint(r["table_name"])
		if described[tbl] == nil {
			described[tbl] = map[string]string{}
		}
		described[tbl][fmt.Sprint(r["column_name"])] = fmt.Sprint(r["data_type"])
	}
	var counts []string
	for _, s := range schema.Streams {
		counts = append(counts, fmt.Sprintf("SELECT '%s' AS stream, count(DISTINCT dt) AS dts, count(DISTINCT account_id) AS accts FROM %s", s.Name, s.Name))
	}
	partitions := map[string]map[string]any{}
	for _, r := range duck.Query(t, strings.Join(counts, " UNION ALL ")) {
		partitions[fmt.Sprint(r["stream"])] = r
	}

	for _, s := range schema.Streams {
		t.Run(s.Name, func(t *testing.T) {
			want := map[string]string{"dt": "DATE", "account_id": "VARCHAR"}
			for _, f := range parquet.SchemaOf(s.Row).Fields() {
				want[f.Name()] = expectType(t, f, "duckdb")
			}
			got := described[s.Name]
			if len(got) != len(want) {
				t.Errorf("view %s: %d columns %v, want %d", s.Name, len(got), got, len(want))
			}
			for name, w := range want {
				if g, ok := got[name]; !ok {
					t.Errorf("column %s missing", name)
				} else if normalize(g) != normalize(w) {
					t.Errorf("column %s: DuckDB reads %s, want %s", name, g, w)
				}
			}
			if p := partitions[s.Name]; p["dts"] != float64(2) && p["dts"] != "2" || p["accts"] != float64(2) && p["accts"] != "2" {
				t.Errorf("%s sees partitions %v, want 2 dates and 2 accounts", s.Name, p)
			}
		})
	}

	got := duck.Query(t, `SET TimeZone = 'UTC';
		SELECT m.id, len(m.children) AS n, m.children[1].media_type AS first_type, m.children[1].timestamp AS first_ts,
		       u.followers_count, ui.online_followers[2].followers AS f23
		FROM media m
		JOIN users u USING (dt, account_id)
		JOIN user_insights ui ON ui.account_id = m.account_id AND ui.date = m.dt
		WHERE m.dt = DATE '2026-01-02' AND m.account_id = '17841400000000002' AND m.id = 'm1'`)
	if len(got) != 1 {
		t.Fatalf("join over the views: %v", got)
	}
	r := got[0]
	if r["n"] != "2" || r["first_type"] != "IMAGE" || r["followers_count"] != "1099511627776" || r["f23"] != "8" ||
		!strings.HasPrefix(fmt.Sprint(r["first_ts"]), "2026-01-02 03:04:05.123456") {
		t.Errorf("values read through the views: %v", r)
	}
}
