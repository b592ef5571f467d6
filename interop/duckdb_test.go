package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/internal/testenv"
)

// TestDuckDB reads the lake the binary wrote into file:// with DuckDB, an
// independent Parquet reader, as a user would: read_parquet with
// hive_partitioning, then through the views of `igexport ddl -dialect
// duckdb`. It checks the column types of SPEC §3, the file settings DuckDB
// reports, every row against the emulator's data, and that the column types
// `igexport ddl` declares for Athena and BigQuery are the ones the files hold.
func TestDuckDB(t *testing.T) {
	duck := testenv.DuckDB(t)
	root, cfgDir := fileLake(t)
	start := time.Now()
	res := duck.Query(t, directReadSQL(root))
	if len(res) != 1 {
		t.Fatalf("%d result rows", len(res))
	}
	r := res[0]
	t.Logf("direct reads: one DuckDB query in %v", time.Since(start).Round(time.Millisecond))

	cols := columnsOf(t, r["columns"], "raw_")
	t.Run("types", func(t *testing.T) { checkTypes(t, cols) })
	t.Run("files", func(t *testing.T) { checkFileMetadata(t, r) })
	counts := countsOf(t, r["counts"])
	t.Run("values", func(t *testing.T) { checkValues(t, r, counts) })
	t.Run("comments", func(t *testing.T) { checkComments(t, r) })

	t.Run("ddl_duckdb", func(t *testing.T) {
		start := time.Now()
		ddl := igexport(t, cfgDir, "ddl", "-dialect", "duckdb")
		if ddl.code != 0 {
			t.Fatalf("igexport ddl: exit %d\n%s", ddl.code, ddl.stderr)
		}
		if !strings.Contains(ddl.stdout, root) {
			t.Errorf("the DDL does not read %s:\n%s", root, ddl.stdout)
		}
		examples := readmeSQL(t)
		res := duck.Query(t, ddl.stdout+"\n"+examples+"\n"+viewsSQL())
		t.Logf("DDL, %d documented queries and the views: one DuckDB query in %v",
			strings.Count(examples, ";"), time.Since(start).Round(time.Millisecond))
		views := columnsOf(t, res[0]["columns"], "")
		for _, s := range schema.Names() {
			got, want := views[s], cols[s][:len(cols[s])-2]
			if len(got) != len(want)+2 || !slices.Equal(got[:len(want)], want) {
				t.Errorf("view %s has columns\n%v\nwant the files' columns\n%v", s, got, want)
				continue
			}
			parts := got[len(want):]
			if !slices.Contains(parts, [2]string{"dt", "DATE"}) || !slices.Contains(parts, [2]string{"account_id", "VARCHAR"}) {
				t.Errorf("view %s: partition columns %v, want dt DATE and account_id VARCHAR", s, parts)
			}
		}
		viewCounts := map[string]int64{}
		for _, x := range res[0]["counts"].([]any) {
			m := x.(map[string]any)
			viewCounts[m["v"].(string)] = num(t, m["n"])
		}
		for _, s := range schema.Names() {
			var direct int64
			for _, n := range counts[s] {
				direct += n
			}
			if viewCounts[s] != direct || direct == 0 {
				t.Errorf("view %s has %d rows, read_parquet %d", s, viewCounts[s], direct)
			}
		}
	})

	for _, dialect := range []string{"athena", "bigquery"} {
		t.Run("ddl_"+dialect, func(t *testing.T) { checkDDLTypes(t, cfgDir, dialect, cols) })
	}
}

// glob is the read_parquet glob of one stream's files.
func glob(root, stream string) string {
	return sqlQuote(filepath.ToSlash(filepath.Join(root, stream)) + "/*/*/*.parquet")
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// directReadSQL makes one view per stream over read_parquet (hive
// partitioning, nothing else) and selects, in one row, everything the
// checks need.
func directReadSQL(root string) string {
	var b strings.Builder
	for _, s := range schema.Names() {
		fmt.Fprintf(&b, "CREATE OR REPLACE VIEW raw_%s AS SELECT * FROM read_parquet(%s, hive_partitioning = true);\n", s, glob(root, s))
	}
	all := sqlQuote(filepath.ToSlash(root) + "/*/*/*/*.parquet")
	var counts []string
	for _, s := range schema.Names() {
		counts = append(counts, fmt.Sprintf("SELECT '%s' AS s, account_id::VARCHAR AS a, count(*) AS n FROM raw_%s GROUP BY ALL", s, s))
	}
	fmt.Fprintf(&b, `SELECT
  (SELECT list({t: table_name, c: column_name, ty: data_type} ORDER BY table_name, column_index)
     FROM duckdb_columns() WHERE starts_with(table_name, 'raw_')) AS columns,
  (SELECT list(DISTINCT compression) FROM parquet_metadata(%[1]s)) AS compressions,
  (SELECT list(DISTINCT encodings) FROM parquet_metadata(%[1]s)) AS encodings,
  (SELECT list(DISTINCT file_name || ' ' || name || ' ' || coalesce(converted_type, '') || ' ' || coalesce(logical_type, ''))
     FROM parquet_schema(%[1]s) WHERE converted_type LIKE 'UINT%%' OR logical_type LIKE '%%isSigned=0%%') AS unsigned,
  (SELECT list(DISTINCT logical_type) FROM parquet_schema(%[1]s)
     WHERE converted_type LIKE 'TIMESTAMP%%' OR logical_type LIKE 'TimestampType%%') AS timestamps,
  (SELECT list(DISTINCT name) FROM parquet_schema(%[1]s) WHERE repetition_type = 'REPEATED') AS repeated,
  (SELECT list(DISTINCT created_by) FROM parquet_file_metadata(%[1]s)) AS created_by,
  (SELECT count(*) FROM parquet_file_metadata(%[1]s)) AS files,
  (SELECT list({f: file_name, k: decode(key), v: decode(value)}) FROM parquet_kv_metadata(%[1]s)) AS kv,
  (SELECT list({s: s, a: a, n: n}) FROM (%[2]s)) AS counts,
  (SELECT list({a: account_id::VARCHAR, dt: dt::VARCHAR, id: id, ig_id: ig_id, username: username,
       followers: followers_count, follows: follows_count, media: media_count, page: page_id}) FROM raw_users) AS users,
  (SELECT list({a: account_id::VARCHAR, dt: dt::VARCHAR, id: id, type: media_type, product: media_product_type,
       ts: epoch_us("timestamp"), likes: like_count, comments: comments_count, owner: owner_id,
       children: list_transform(children, c -> c.id), child_types: list_transform(children, c -> c.media_type),
       child_ts: list_transform(children, c -> epoch_us(c."timestamp"))}) FROM raw_media) AS media,
  (SELECT list({a: account_id::VARCHAR, dt: dt::VARCHAR, id: id, status: insights_status, ts: epoch_us(media_timestamp),
       views: "views", reach: reach, likes: likes, comments: comments, saved: saved, shares: shares,
       total_interactions: total_interactions, follows: follows, profile_visits: profile_visits,
       ig_reels_avg_watch_time: ig_reels_avg_watch_time,
       ig_reels_video_view_total_time: ig_reels_video_view_total_time, reposts: reposts,
       crossposted_views: crossposted_views, facebook_views: facebook_views, profile_activity: profile_activity,
       total_likes: total_likes, total_comments: total_comments, total_views: total_views,
       reels_skip_rate: reels_skip_rate::VARCHAR}) FROM raw_media_insights) AS media_insights,
  (SELECT list({a: a, reach: r}) FROM (SELECT account_id::VARCHAR AS a, sum(reach) AS r FROM raw_media_insights GROUP BY ALL)) AS reach_sums,
  (SELECT list({a: account_id::VARCHAR, dt: dt::VARCHAR, id: id, ts: epoch_us("timestamp"), product: media_product_type}) FROM raw_stories) AS stories,
  (SELECT list({a: account_id::VARCHAR, dt: dt::VARCHAR, id: id, status: insights_status, ts: epoch_us(story_timestamp),
       views: "views", reach: reach, replies: replies, shares: shares, total_interactions: total_interactions,
       follows: follows, profile_visits: profile_visits, navigation: navigation, tap_forward: tap_forward,
       tap_back: tap_back, tap_exit: tap_exit, swipe_forward: swipe_forward, reposts: reposts,
       facebook_views: facebook_views, profile_activity: profile_activity, total_views: total_views}) FROM raw_story_insights) AS story_insights,
  (SELECT list({a: account_id::VARCHAR, dt: dt::VARCHAR, date: "date"::VARCHAR, end_time: epoch_us(end_time),
       follower_count: follower_count, reach: reach, views: "views", accounts_engaged: accounts_engaged,
       total_interactions: total_interactions, likes: likes, comments: comments, shares: shares, saves: saves,
       replies: replies, profile_links_taps: profile_links_taps, follows: follows, unfollows: unfollows,
       reposts: reposts, online: online_followers}) FROM raw_user_insights) AS user_insights,
  (SELECT list({a: account_id::VARCHAR, dt: dt::VARCHAR, metric: metric, timeframe: timeframe, breakdown: breakdown,
       age: age, gender: gender, country: country, city: city, value: "value"}) FROM raw_user_lifetime_insights) AS lifetime,
  (SELECT list({a: account_id::VARCHAR, dt: dt::VARCHAR, id: id, media: media_id, parent: parent_id, text: "text",
       username: username, ts: epoch_us("timestamp"), likes: like_count, hidden: hidden}) FROM raw_comments) AS comments
`, all, strings.Join(counts, " UNION ALL "))
	return b.String()
}

// checkComments compares every comments row DuckDB reads with the
// emulator's comment: values, and the partition of the comment's own date.
func checkComments(t *testing.T, r map[string]any) {
	want := map[string]igfake.Comment{}
	for _, a := range fake.Dataset().Accounts {
		for _, m := range a.Media {
			for _, c := range fake.Comments(m.ID) {
				want[c.ID] = c
				for _, rp := range c.Replies {
					want[rp.ID] = rp
				}
			}
		}
	}
	rows := rowsOf(r["comments"])
	if len(rows) != len(want) || len(rows) == 0 {
		t.Errorf("%d comments rows, the emulator has %d", len(rows), len(want))
	}
	for _, row := range rows {
		c, ok := want[str(row["id"])]
		acct := fake.Dataset().Media(c.MediaID)
		switch {
		case !ok || acct == nil:
			t.Errorf("comments row %v: no such comment", row)
		case str(row["a"]) != acct.AccountID || row["dt"] != schema.DateOf(c.Timestamp).String() || str(row["media"]) != c.MediaID ||
			str(row["text"]) != c.Text || str(row["username"]) != c.Username || row["hidden"] != c.Hidden:
			t.Errorf("comments row %v, want %+v", row, c)
		case c.ParentID == "" && row["parent"] != nil || c.ParentID != "" && str(row["parent"]) != c.ParentID:
			t.Errorf("comments row %v: parent, want %q", row, c.ParentID)
		}
		eqInt(t, "comment "+c.ID+" timestamp", row["ts"], c.Timestamp.UnixMicro(), true)
		eqInt(t, "comment "+c.ID+" like_count", row["likes"], c.LikeCount, true)
	}
}

// viewsSQL selects the columns and row counts of the `igexport ddl` views.
func viewsSQL() string {
	var counts, names []string
	for _, s := range schema.Names() {
		counts = append(counts, fmt.Sprintf("SELECT '%s' AS v, count(*) AS n FROM %s", s, s))
		names = append(names, "'"+s+"'")
	}
	return fmt.Sprintf(`SELECT
  (SELECT list({t: table_name, c: column_name, ty: data_type} ORDER BY table_name, column_index)
     FROM duckdb_columns() WHERE schema_name = 'main' AND table_name IN (%s)) AS columns,
  (SELECT list({v: v, n: n}) FROM (%s)) AS counts`, strings.Join(names, ", "), strings.Join(counts, " UNION ALL "))
}

// readmeSQL returns the SQL examples of docs/querying.md's "Querying the
// lake" section, so that the documented queries are run against the DDL's views.
func readmeSQL(t *testing.T) string {
	t.Helper()
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "docs", "querying.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n## Querying the lake")
	if i < 0 {
		t.Fatal(`docs/querying.md has no "## Querying the lake" section`)
	}
	s = s[i+1:]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatal(`docs/querying.md's "Querying the lake" has no sql example`)
	}
	return strings.Join(out, "\n")
}

// columnsOf groups a list of {t, c, ty} by stream (table name without prefix).
func columnsOf(t *testing.T, v any, prefix string) map[string][][2]string {
	t.Helper()
	out := map[string][][2]string{}
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("columns: %T %v", v, v)
	}
	for _, x := range list {
		m := x.(map[string]any)
		name := strings.TrimPrefix(m["t"].(string), prefix)
		out[name] = append(out[name], [2]string{m["c"].(string), m["ty"].(string)})
	}
	return out
}

func countsOf(t *testing.T, v any) map[string]map[string]int64 {
	t.Helper()
	out := map[string]map[string]int64{}
	for _, x := range v.([]any) {
		m := x.(map[string]any)
		s, a := m["s"].(string), m["a"].(string)
		if out[s] == nil {
			out[s] = map[string]int64{}
		}
		out[s][a] = num(t, m["n"])
	}
	return out
}

// checkTypes compares DuckDB's column types with SPEC §3.
func checkTypes(t *testing.T, cols map[string][][2]string) {
	const (
		ts     = "TIMESTAMP WITH TIME ZONE"
		bigint = "BIGINT"
		str    = "VARCHAR"
	)
	want := map[string]map[string]string{
		schema.Users: {"id": str, "ig_id": bigint, "username": str, "name": str, "biography": str, "website": str,
			"profile_picture_url": str, "followers_count": bigint, "follows_count": bigint, "media_count": bigint,
			"page_id": str, "fetched_at": ts},
		schema.Media: {"id": str, "ig_id": str, "caption": str, "media_type": str, "media_product_type": str,
			"media_url": str, "thumbnail_url": str, "permalink": str, "shortcode": str, "username": str, "owner_id": str,
			"timestamp": ts, "like_count": bigint, "comments_count": bigint, "is_comment_enabled": "BOOLEAN",
			"children":   `STRUCT(id VARCHAR, media_type VARCHAR, media_url VARCHAR, thumbnail_url VARCHAR, "timestamp" TIMESTAMP WITH TIME ZONE)[]`,
			"fetched_at": ts},
		schema.MediaInsights: {"id": str, "media_type": str, "media_product_type": str, "media_timestamp": ts,
			"views": bigint, "reach": bigint, "likes": bigint, "comments": bigint, "saved": bigint, "shares": bigint,
			"total_interactions": bigint, "follows": bigint, "profile_visits": bigint, "ig_reels_avg_watch_time": bigint,
			"ig_reels_video_view_total_time": bigint, "reposts": bigint, "crossposted_views": bigint, "facebook_views": bigint,
			"profile_activity": bigint, "total_likes": bigint, "total_comments": bigint, "total_views": bigint,
			"reels_skip_rate": "DOUBLE", "profile_activity_bio_link_clicked": bigint, "profile_activity_call": bigint,
			"profile_activity_direction": bigint, "profile_activity_email": bigint, "profile_activity_text": bigint,
			"insights_status": str, "fetched_at": ts},
		schema.Stories: {"id": str, "ig_id": str, "caption": str, "media_type": str, "media_product_type": str,
			"media_url": str, "thumbnail_url": str, "permalink": str, "shortcode": str, "username": str, "owner_id": str,
			"timestamp": ts, "like_count": bigint, "fetched_at": ts},
		schema.StoryInsights: {"id": str, "story_timestamp": ts, "views": bigint, "reach": bigint, "replies": bigint,
			"shares": bigint, "total_interactions": bigint, "follows": bigint, "profile_visits": bigint,
			"navigation": bigint, "tap_forward": bigint, "tap_back": bigint, "tap_exit": bigint, "swipe_forward": bigint,
			"reposts": bigint, "facebook_views": bigint, "profile_activity": bigint, "total_views": bigint,
			"insights_status": str, "fetched_at": ts},
		schema.UserInsights: {"date": "DATE", "end_time": ts, "follower_count": bigint, "reach": bigint, "views": bigint,
			"accounts_engaged": bigint, "total_interactions": bigint, "likes": bigint, "comments": bigint,
			"shares": bigint, "saves": bigint, "replies": bigint, "profile_links_taps": bigint, "follows": bigint,
			"unfollows": bigint, "reposts": bigint, "online_followers": `STRUCT("hour" INTEGER, followers BIGINT)[]`, "fetched_at": ts},
		schema.UserLifetimeInsights: {"metric": str, "timeframe": str, "breakdown": str, "age": str, "gender": str,
			"country": str, "city": str, "value": bigint, "fetched_at": ts},
		schema.Comments: {"id": str, "media_id": str, "parent_id": str, "text": str, "username": str,
			"timestamp": ts, "like_count": bigint, "hidden": "BOOLEAN", "fetched_at": ts},
	}
	for _, s := range schema.Names() {
		got := cols[s]
		if len(got) < 3 {
			t.Errorf("%s: columns %v", s, got)
			continue
		}
		// Hive partitioning appends the partition columns: dt is a DATE;
		// account_id, all digits, is inferred as BIGINT unless hive_types
		// says otherwise (the DDL's views do: VARCHAR).
		n := len(got)
		if p := got[n-2:]; p[0] != [2]string{"account_id", "BIGINT"} && p[0] != [2]string{"account_id", "VARCHAR"} || p[1] != [2]string{"dt", "DATE"} {
			t.Errorf("%s: partition columns %v, want account_id and dt DATE", s, p)
		}
		var names []string
		for _, c := range got[:n-2] {
			names = append(names, c[0])
			w, ok := want[s][c[0]]
			switch {
			case !ok:
				t.Errorf("%s: unexpected column %s %s", s, c[0], c[1])
			case c[1] != w:
				t.Errorf("%s.%s is %s, want %s", s, c[0], c[1], w)
			}
			if strings.HasPrefix(c[1], "U") && strings.Contains(c[1], "INT") {
				t.Errorf("%s.%s is unsigned (%s)", s, c[0], c[1])
			}
		}
		for c := range want[s] {
			if !slices.Contains(names, c) {
				t.Errorf("%s: column %s missing", s, c)
			}
		}
	}
}

// checkFileMetadata checks what DuckDB reports of the files themselves.
func checkFileMetadata(t *testing.T, r map[string]any) {
	if got := strs(r["compressions"]); !slices.Equal(got, []string{"ZSTD"}) {
		t.Errorf("compressions %v, want [ZSTD]", got)
	}
	for _, e := range strs(r["encodings"]) {
		if strings.Contains(e, "DELTA") {
			t.Errorf("encodings %q", e)
		}
	}
	if u := strs(r["unsigned"]); len(u) > 0 {
		t.Errorf("unsigned columns: %v", u)
	}
	for _, lt := range strs(r["timestamps"]) {
		if !strings.Contains(lt, "isAdjustedToUTC=1") || !strings.Contains(lt, "MICROS=MicroSeconds()") {
			t.Errorf("timestamp type %s, want MICROS adjusted to UTC", lt)
		}
	}
	if len(strs(r["timestamps"])) == 0 {
		t.Error("no timestamp column found")
	}
	if rep := strs(r["repeated"]); !slices.Equal(rep, []string{"list"}) {
		t.Errorf("repeated fields %v, want only the 3-level lists' \"list\" groups", rep)
	}
	for _, cb := range strs(r["created_by"]) {
		if !strings.HasPrefix(cb, "igexport version ") {
			t.Errorf("created_by %q", cb)
		}
	}
	if n, want := num(t, r["files"]), int64(len(fileLakeKeys())); n != want {
		t.Errorf("DuckDB reads %d files, want %d", n, want)
	}
	perFile := map[string]map[string]string{}
	for _, x := range r["kv"].([]any) {
		m := x.(map[string]any)
		f := m["f"].(string)
		if perFile[f] == nil {
			perFile[f] = map[string]string{}
		}
		perFile[f][m["k"].(string)] = fmt.Sprint(m["v"])
	}
	runID := shared.sum.RunID
	for f, kv := range perFile {
		stream := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(f))))
		if kv["igexport.stream"] != stream || kv["igexport.schema_version"] != schema.Version || kv["igexport.run_id"] != runID {
			t.Errorf("%s: key/value metadata %v, want stream %s, schema_version %s, run_id %s", f, kv, stream, schema.Version, runID)
		}
	}
	if len(perFile) != len(fileLakeKeys()) {
		t.Errorf("key/value metadata in %d files", len(perFile))
	}
}

// checkValues compares every row DuckDB reads with the emulator's data.
func checkValues(t *testing.T, r map[string]any, counts map[string]map[string]int64) {
	ds := fake.Dataset()
	snap := snapshotDate().String()
	for _, a := range ds.Accounts {
		live := ds.LiveStories(a)
		want := map[string]int64{
			schema.Users: 1, schema.Media: int64(len(a.Media)), schema.MediaInsights: int64(len(a.Media)),
			schema.Stories: int64(len(live)), schema.StoryInsights: int64(len(live)),
			schema.UserInsights: int64(len(insightDays(a.ID))),
		}
		for _, m := range a.Media { // comments: every comment and reply
			want[schema.Comments] += m.CommentsCount
		}
		for s, n := range want {
			if counts[s][a.ID] != n || n == 0 {
				t.Errorf("%s: account %s has %d rows, want %d", s, a.ID, counts[s][a.ID], n)
			}
		}
	}

	// users
	for _, row := range rowsOf(r["users"]) {
		a := ds.Account(str(row["a"]))
		if a == nil || str(row["id"]) != a.ID || row["dt"] != snap {
			t.Errorf("users row %v", row)
			continue
		}
		eqInt(t, "users "+a.ID+" followers_count", row["followers"], a.FollowersCount, true)
		eqInt(t, "users "+a.ID+" follows_count", row["follows"], a.FollowsCount, true)
		eqInt(t, "users "+a.ID+" media_count", row["media"], a.MediaCount, true)
		eqInt(t, "users "+a.ID+" ig_id", row["ig_id"], a.IGID, true)
		// page_id comes from /me/accounts: known for discovered accounts,
		// NULL for accounts listed in account blocks (as here).
		if str(row["username"]) != a.Username || row["page"] != nil && str(row["page"]) != a.PageID {
			t.Errorf("users %s: username %v page %v, want %s %s", a.ID, row["username"], row["page"], a.Username, a.PageID)
		}
	}

	// media, with carousel children from field expansion
	carousels := 0
	seen := map[string]bool{}
	for _, row := range rowsOf(r["media"]) {
		id := str(row["id"])
		m := ds.Media(id)
		if m == nil || m.AccountID != str(row["a"]) || row["dt"] != snap || m.IsChild() || m.IsStory() {
			t.Errorf("media row %v: not a media of that account", row)
			continue
		}
		seen[id] = true
		p := "media " + id
		if str(row["type"]) != m.MediaType || str(row["product"]) != m.MediaProductType {
			t.Errorf("%s: %v/%v, want %s/%s", p, row["type"], row["product"], m.MediaType, m.MediaProductType)
		}
		eqInt(t, p+" timestamp", row["ts"], m.Timestamp.UnixMicro(), true)
		eqInt(t, p+" like_count", row["likes"], m.LikeCount, !m.LikesHidden)
		eqInt(t, p+" comments_count", row["comments"], m.CommentsCount, true)
		if str(row["owner"]) != m.AccountID {
			t.Errorf("%s: owner_id %v", p, row["owner"])
		}
		var wantIDs, wantTypes []string
		var wantTS []int64
		for _, c := range m.Children {
			wantIDs = append(wantIDs, c.ID)
			wantTypes = append(wantTypes, c.MediaType)
			wantTS = append(wantTS, c.Timestamp.UnixMicro())
		}
		gotTS := []int64{}
		for _, x := range list(row["child_ts"]) {
			gotTS = append(gotTS, num(t, x))
		}
		if m.MediaType == "CAROUSEL_ALBUM" {
			carousels++
			if len(m.Children) != nChildren {
				t.Fatalf("emulator: carousel %s has %d children", id, len(m.Children))
			}
		}
		if got := strs(row["children"]); !slices.Equal(got, wantIDs) || !slices.Equal(strs(row["child_types"]), wantTypes) ||
			!slices.Equal(gotTS, append([]int64{}, wantTS...)) {
			t.Errorf("%s: children %v %v %v, want %v %v %v", p, got, row["child_types"], gotTS, wantIDs, wantTypes, wantTS)
		}
	}
	if want := nAccounts * ((nMedia + 9) / 10); carousels != want {
		t.Errorf("%d carousels, want %d", carousels, want)
	}
	for _, a := range ds.Accounts {
		for _, m := range a.Media {
			if !seen[m.ID] {
				t.Errorf("media %s of %s is missing", m.ID, a.ID)
			}
		}
	}

	// media_insights: every metric as the API answers it, NULL where it answers none
	mediaMetrics := []string{"views", "reach", "likes", "comments", "saved", "shares", "total_interactions",
		"follows", "profile_visits", "ig_reels_avg_watch_time", "ig_reels_video_view_total_time",
		"reposts", "crossposted_views", "facebook_views", "profile_activity", "total_likes", "total_comments", "total_views"}
	reach := map[string]int64{}
	for _, row := range rowsOf(r["media_insights"]) {
		id := str(row["id"])
		m := ds.Media(id)
		if m == nil || m.AccountID != str(row["a"]) || row["dt"] != snap {
			t.Errorf("media_insights row %v", row)
			continue
		}
		if str(row["status"]) != schema.StatusOK {
			t.Errorf("media_insights %s: status %v", id, row["status"])
		}
		eqInt(t, "media_insights "+id+" media_timestamp", row["ts"], m.Timestamp.UnixMicro(), true)
		for _, metric := range mediaMetrics {
			v, ok := ds.MediaInsight(id, metric)
			eqInt(t, fmt.Sprintf("media_insights %s (%s/%s) %s", id, m.MediaType, m.MediaProductType, metric), row[metric], v, ok)
			if metric == "reach" && ok {
				reach[m.AccountID] += v
			}
		}
		// reels_skip_rate: a DOUBLE keeping its decimals (48.4), NULL off reels.
		if want, ok := ds.ReelsSkipRate(id); ok != (row["reels_skip_rate"] != nil) ||
			ok && str(row["reels_skip_rate"]) != strconv.FormatFloat(want, 'f', -1, 64) {
			t.Errorf("media_insights %s reels_skip_rate = %v, want %v (served %v)", id, row["reels_skip_rate"], want, ok)
		}
	}
	for _, row := range rowsOf(r["reach_sums"]) {
		eqInt(t, "SUM(reach) of media_insights of "+str(row["a"]), row["reach"], reach[str(row["a"])], true)
	}
	if len(rowsOf(r["reach_sums"])) != nAccounts {
		t.Errorf("reach sums %v", r["reach_sums"])
	}

	// stories (partitioned by their own date) and story_insights
	storyMetrics := []string{"views", "reach", "replies", "shares", "total_interactions", "follows", "profile_visits",
		"navigation", "tap_forward", "tap_back", "tap_exit", "swipe_forward",
		"reposts", "facebook_views", "profile_activity", "total_views"}
	wantStories := map[string]*igfake.Media{}
	for _, a := range ds.Accounts {
		for _, s := range ds.LiveStories(a) {
			wantStories[s.ID] = s
		}
	}
	for _, stream := range []string{"stories", "story_insights"} {
		got := map[string]bool{}
		for _, row := range rowsOf(r[stream]) {
			id := str(row["id"])
			s := wantStories[id]
			if s == nil || s.AccountID != str(row["a"]) || str(row["dt"]) != schema.DateOf(s.Timestamp).String() {
				t.Errorf("%s row %v: not a live story of that account in its date's partition", stream, row)
				continue
			}
			got[id] = true
			eqInt(t, stream+" "+id+" timestamp", row["ts"], s.Timestamp.UnixMicro(), true)
			if stream == "stories" {
				if str(row["product"]) != "STORY" {
					t.Errorf("stories %s: product %v", id, row["product"])
				}
				continue
			}
			if str(row["status"]) != schema.StatusOK {
				t.Errorf("story_insights %s: status %v", id, row["status"])
			}
			for _, metric := range storyMetrics {
				v, ok := ds.StoryInsight(id, metric)
				eqInt(t, "story_insights "+id+" "+metric, row[metric], v, ok)
			}
		}
		if len(got) != len(wantStories) {
			t.Errorf("%s: %d stories, want %d", stream, len(got), len(wantStories))
		}
	}

	// user_insights: one row per day from start_date to yesterday, each value
	// the API's for that day
	dayMetrics := []string{"follower_count", "reach", "views", "accounts_engaged", "total_interactions", "likes",
		"comments", "shares", "saves", "replies", "profile_links_taps", "follows", "unfollows", "reposts"}
	dates := map[string][]string{}
	online := 0
	for _, row := range rowsOf(r["user_insights"]) {
		a, date := str(row["a"]), str(row["date"])
		if row["dt"] != date {
			t.Errorf("user_insights %s %s in partition dt=%v", a, date, row["dt"])
		}
		dates[a] = append(dates[a], date)
		d, err := schema.ParseDate(date)
		if err != nil {
			t.Fatal(err)
		}
		// end_time is the end of the day at the account's boundary (US Pacific).
		y, mo, dd := d.Time().Date()
		end := time.Date(y, mo, dd+1, 0, 0, 0, 0, pacific(t))
		eqInt(t, "user_insights "+a+" "+date+" end_time", row["end_time"], end.UnixMicro(), true)
		for _, metric := range dayMetrics {
			v, ok := ds.UserInsight(a, metric, d.Time())
			eqInt(t, "user_insights "+a+" "+date+" "+metric, row[metric], v, ok)
		}
		want, served := ds.OnlineFollowersOn(a, d.Time())
		if row["online"] == nil && served && want != nil {
			t.Errorf("user_insights %s %s online_followers NULL, want %v (the API serves that day)", a, date, want)
		}
		if row["online"] != nil {
			online++
			got := map[int]int64{}
			for _, x := range list(row["online"]) {
				m := x.(map[string]any)
				got[int(num(t, m["hour"]))] = num(t, m["followers"])
			}
			if len(got) != 24 || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("user_insights %s %s online_followers %v, want %v", a, date, got, want)
			}
		}
	}
	if online == 0 {
		t.Error("no user_insights row has online_followers")
	}
	for _, a := range ds.Accounts {
		var want []string
		for _, d := range insightDays(a.ID) {
			want = append(want, d.String())
		}
		got := dates[a.ID]
		sort.Strings(got)
		if !slices.Equal(got, want) || len(want) < insightsDays-2 {
			t.Errorf("user_insights dates of %s: %v, want %v", a.ID, got, want)
		}
	}

	// user_lifetime_insights: every bucket the API answers, long format
	got := map[string]int64{}
	for _, row := range rowsOf(r["lifetime"]) {
		if row["dt"] != snap {
			t.Errorf("lifetime row %v not in dt=%s", row, snap)
		}
		k := strings.Join([]string{str(row["a"]), str(row["metric"]), str(row["timeframe"]), str(row["breakdown"]),
			str(row["age"]), str(row["gender"]), str(row["country"]), str(row["city"])}, "|")
		if _, dup := got[k]; dup {
			t.Errorf("lifetime: two rows for %s", k)
		}
		got[k] = num(t, row["value"])
	}
	want := map[string]int64{}
	genders := map[string]bool{}
	for _, a := range ds.Accounts {
		for _, metric := range []string{"follower_demographics", "engaged_audience_demographics"} {
			for _, bd := range []string{"age", "gender", "country", "city", "age,gender"} {
				for _, b := range ds.Demographics(a.ID, metric, bd, "this_month") {
					dims := map[string]string{}
					for i, k := range strings.Split(bd, ",") {
						dims[k] = b.Dims[i]
					}
					if bd == "age,gender" {
						genders[dims["gender"]] = true
					}
					k := strings.Join([]string{a.ID, metric, "this_month", bd, dims["age"], dims["gender"], dims["country"], dims["city"]}, "|")
					want[k] = b.Value
				}
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("lifetime: %d rows, want %d", len(got), len(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("lifetime %s = %d (present %v), want %d", k, g, ok, v)
		}
	}
	if !genders["F"] || !genders["M"] || !genders["U"] {
		t.Fatalf("emulator: age,gender buckets without F, M and U: %v", genders)
	}
	for k := range got {
		if strings.Contains(k, "|age,gender|") && strings.Count(k, "||") != 1 {
			t.Errorf("lifetime age,gender row %s: want age and gender set, country and city NULL", k)
		}
	}
}

// checkDDLTypes parses `igexport ddl -dialect athena|bigquery` and checks
// that every column is declared with the type DuckDB reads from the files.
func checkDDLTypes(t *testing.T, cfgDir, dialect string, cols map[string][][2]string) {
	location := map[string]string{"athena": "s3://interop-lake", "bigquery": "gs://interop-lake"}[dialect]
	r := igexport(t, cfgDir, "ddl", "-dialect", dialect, "-location", location)
	if r.code != 0 {
		t.Fatalf("igexport ddl -dialect %s: exit %d\n%s", dialect, r.code, r.stderr)
	}
	tables := parseDDL(t, r.stdout)
	if len(tables) != len(schema.Names()) {
		t.Fatalf("%d tables in\n%s", len(tables), r.stdout)
	}
	wantParts := map[string][][2]string{
		"athena":   {{"dt", "date"}, {"account_id", "string"}},
		"bigquery": {{"dt", "DATE"}, {"account_id", "STRING"}},
	}[dialect]
	for i, tbl := range tables {
		s := schema.Names()[i]
		if tbl.name != s {
			t.Errorf("table %d is %s, want %s", i, tbl.name, s)
			continue
		}
		if !slices.Equal(tbl.partitions, wantParts) {
			t.Errorf("%s: partition columns %v, want %v", s, tbl.partitions, wantParts)
		}
		if want := location + "/" + s; strings.TrimSuffix(tbl.location, "/") != want {
			t.Errorf("%s: location %q, want %s/ (where the stream's dt=…/account_id=… folders are)", s, tbl.location, want)
		}
		files := cols[s]
		files = files[:len(files)-2] // account_id, dt
		if len(tbl.columns) != len(files) {
			t.Errorf("%s: %d columns declared, the files have %d", s, len(tbl.columns), len(files))
			continue
		}
		for j, c := range tbl.columns {
			fc := files[j]
			if c[0] != fc[0] {
				t.Errorf("%s column %d: declared %s, the files have %s", s, j, c[0], fc[0])
				continue
			}
			declared, err := canonicalType(dialect, c[1])
			if err != nil {
				t.Error(err)
				continue
			}
			read, err := canonicalType("duckdb", fc[1])
			if err != nil {
				t.Error(err)
				continue
			}
			if dialect == "bigquery" {
				read = forBigQuery(read)
			}
			if declared != read {
				t.Errorf("%s.%s: %s declares %s (%s), the files hold %s (%s)", s, c[0], dialect, c[1], declared, fc[1], read)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// DuckDB JSON values.

func rowsOf(v any) []map[string]any {
	var out []map[string]any
	for _, x := range list(v) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// str renders a value as the lifetime key does ("" for NULL).
func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// num reads a DuckDB integer (BIGINT arrives as a string, INTEGER as a number).
func num(t *testing.T, v any) int64 {
	t.Helper()
	switch x := v.(type) {
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			t.Fatalf("not an integer: %q", x)
		}
		return n
	case float64:
		return int64(x)
	case json.Number:
		n, _ := x.Int64()
		return n
	}
	t.Fatalf("not an integer: %T %v", v, v)
	return 0
}

// eqInt checks a nullable integer: want when present, NULL otherwise.
func eqInt(t *testing.T, what string, got any, want int64, present bool) {
	t.Helper()
	switch {
	case !present && got != nil:
		t.Errorf("%s = %v, want NULL", what, got)
	case present && got == nil:
		t.Errorf("%s is NULL, want %d", what, want)
	case present && num(t, got) != want:
		t.Errorf("%s = %v, want %d", what, got, want)
	}
}

func pacific(t *testing.T) *time.Location {
	l, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	return l
}
