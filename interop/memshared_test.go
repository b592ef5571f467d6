package interop

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// memScheme is mem:// that outlives a blob.Bucket: every URL
// sharedmem://NAME opens the same memblob bucket NAME (a plain mem:// URL
// opens a new, empty bucket each time, and igexport closes its buckets at
// the end of Apply, so nothing it wrote could be read back). Objects are
// stored by memblob itself; this is only a pass-through driver that ignores
// Close, registered with gocloud's default URL mux so that hcl, sinks and
// export accept it like any compiled-in scheme.
const memScheme = "sharedmem"

var memBuckets = struct {
	sync.Mutex
	m map[string]*blob.Bucket
}{m: map[string]*blob.Bucket{}}

func init() {
	blob.DefaultURLMux().RegisterBucket(memScheme, memOpener{})
}

type memOpener struct{}

func (memOpener) OpenBucketURL(_ context.Context, u *url.URL) (*blob.Bucket, error) {
	if len(u.Query()) > 0 {
		return nil, fmt.Errorf("open bucket %v: %s:// takes no query parameters", u, memScheme)
	}
	memBuckets.Lock()
	defer memBuckets.Unlock()
	b := memBuckets.m[u.Host]
	if b == nil {
		b = memblob.OpenBucket(nil)
		memBuckets.m[u.Host] = b
	}
	return blob.NewBucket(sharedDriver{b}), nil
}

// sharedDriver is a driver.Bucket passing everything to a *blob.Bucket.
type sharedDriver struct{ b *blob.Bucket }

func (d sharedDriver) ErrorCode(err error) gcerrors.ErrorCode { return gcerrors.Code(err) }
func (d sharedDriver) As(any) bool                            { return false }
func (d sharedDriver) ErrorAs(error, any) bool                { return false }
func (d sharedDriver) Close() error                           { return nil }

func (d sharedDriver) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	a, err := d.b.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{
		CacheControl: a.CacheControl, ContentDisposition: a.ContentDisposition, ContentEncoding: a.ContentEncoding,
		ContentLanguage: a.ContentLanguage, ContentType: a.ContentType, Metadata: a.Metadata,
		CreateTime: a.CreateTime, ModTime: a.ModTime, Size: a.Size, MD5: a.MD5, ETag: a.ETag,
	}, nil
}

func (d sharedDriver) ListPaged(ctx context.Context, o *driver.ListOptions) (*driver.ListPage, error) {
	token := o.PageToken
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	size := o.PageSize
	if size <= 0 {
		size = 1000
	}
	objs, next, err := d.b.ListPage(ctx, token, size, &blob.ListOptions{Prefix: o.Prefix, Delimiter: o.Delimiter})
	if err != nil {
		return nil, err
	}
	page := &driver.ListPage{NextPageToken: next}
	for _, x := range objs {
		page.Objects = append(page.Objects, &driver.ListObject{Key: x.Key, ModTime: x.ModTime, Size: x.Size, MD5: x.MD5, IsDir: x.IsDir})
	}
	return page, nil
}

func (d sharedDriver) NewRangeReader(ctx context.Context, key string, offset, length int64, _ *driver.ReaderOptions) (driver.Reader, error) {
	r, err := d.b.NewRangeReader(ctx, key, offset, length, nil)
	if err != nil {
		return nil, err
	}
	return sharedReader{r}, nil
}

type sharedReader struct{ r *blob.Reader }

func (r sharedReader) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r sharedReader) Close() error               { return r.r.Close() }
func (r sharedReader) As(any) bool                { return false }
func (r sharedReader) Attributes() *driver.ReaderAttributes {
	return &driver.ReaderAttributes{ContentType: r.r.ContentType(), ModTime: r.r.ModTime(), Size: r.r.Size()}
}

func (d sharedDriver) NewTypedWriter(ctx context.Context, key, contentType string, o *driver.WriterOptions) (driver.Writer, error) {
	return d.b.NewWriter(ctx, key, &blob.WriterOptions{
		BufferSize: o.BufferSize, MaxConcurrency: o.MaxConcurrency, CacheControl: o.CacheControl,
		ContentDisposition: o.ContentDisposition, ContentEncoding: o.ContentEncoding, ContentLanguage: o.ContentLanguage,
		ContentType: contentType, ContentMD5: o.ContentMD5, Metadata: o.Metadata,
		DisableContentTypeDetection: true, IfNotExist: o.IfNotExist,
	})
}

func (d sharedDriver) Copy(ctx context.Context, dst, src string, _ *driver.CopyOptions) error {
	return d.b.Copy(ctx, dst, src, nil)
}

func (d sharedDriver) Delete(ctx context.Context, key string, _ *driver.DeleteOptions) error {
	return d.b.Delete(ctx, key)
}

func (d sharedDriver) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errors.New("sharedmem: no signed URLs")
}
