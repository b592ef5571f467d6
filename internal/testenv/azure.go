package testenv

import (
	"context"
	"fmt"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
)

// Azurite's well-known development account (public; documented by Microsoft).
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// StartAzurite starts azurite-blob (in-memory) from the tools' node_modules,
// creates container igexport, sets AZURE_STORAGE_CONNECTION_STRING with
// t.Setenv (and clears the other AZURE_STORAGE_* variables gocloud reads) and
// returns "azblob://igexport".
//
// Note (reference/libraries.md §1.6): gocloud's streaming Writer with
// IfNotExist panics against Azurite; Upload-style writes work.
func StartAzurite(t testing.TB) string {
	t.Helper()
	node := nodeBin(t)
	main := tool(t, "node/node_modules/azurite/dist/src/blob/main.js")
	tmp := t.TempDir() // working directory: Azurite may write its debug/extent files there
	var connStr string
	startServer(t,
		func(port int) *proc {
			return startProc(t, "azurite-blob", node, []string{main,
				"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port),
				"--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry",
			}, tmp, nil)
		},
		func(ctx context.Context, port int) error {
			if err := tcpReady(ctx, port); err != nil {
				return err
			}
			cs := fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%d/%s;",
				AzuriteAccount, AzuriteKey, port, AzuriteAccount)
			client, err := azblob.NewClientFromConnectionString(cs, nil)
			if err != nil {
				return err
			}
			if _, err := client.CreateContainer(ctx, Bucket, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
				return fmt.Errorf("creating container %s: %w", Bucket, err)
			}
			connStr = cs
			return nil
		})
	for _, k := range []string{"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN",
		"AZURE_STORAGEBLOB_CONNECTIONSTRING", "AZURE_STORAGE_DOMAIN", "AZURE_STORAGE_PROTOCOL",
		"AZURE_STORAGE_IS_CDN", "AZURE_STORAGE_IS_LOCAL_EMULATOR"} {
		t.Setenv(k, "")
	}
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", connStr)
	return "azblob://" + Bucket
}
