using System.Runtime.Versioning;
using System.Text;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Keys;

/// <summary>Key files: one line, written 0600, never silently overwritten, refused when others can read them.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class KeyFileTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _dir = Directory.CreateTempSubdirectory("carapace-keyfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Key_written_then_read_is_the_same_key()
    {
        var path = Path.Combine(_dir, "master.key");
        using var key = TestKeys.Master(start: 9);

        KeyFile.Write(key, path);
        using var read = KeyFile.Read(path);

        Assert.Equal(key.Id, read.Id);
        Assert.Equal(TestKeys.MasterBytes(start: 9), Bytes(read));
    }

    [Fact]
    public void Written_key_file_is_one_prefixed_base64_line()
    {
        var path = Path.Combine(_dir, "master.key");
        using var key = TestKeys.Master();

        KeyFile.Write(key, path);

        Assert.Equal(KeyFile.Prefix + Convert.ToBase64String(TestKeys.MasterBytes()) + "\n", File.ReadAllText(path));
    }

    [Fact]
    public void Written_key_file_has_mode_0600()
    {
        var path = Path.Combine(_dir, "master.key");
        using var key = TestKeys.Master();

        KeyFile.Write(key, path);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Write_refuses_to_overwrite_an_existing_file()
    {
        var path = Path.Combine(_dir, "master.key");
        File.WriteAllText(path, "precious");
        using var key = TestKeys.Master();

        var error = Assert.Throws<KeyFileException>(() => KeyFile.Write(key, path));

        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(path));
    }

    [Fact]
    public void Write_with_overwrite_replaces_the_key_and_tightens_the_mode_to_0600()
    {
        var path = Path.Combine(_dir, "master.key");
        File.WriteAllText(path, "old content that is longer than a key line, to check the file is truncated .......");
        File.SetUnixFileMode(path, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var key = TestKeys.Master(start: 5);

        KeyFile.Write(key, path, overwrite: true);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
        using var read = KeyFile.Read(path);
        Assert.Equal(key.Id, read.Id);
    }

    [Fact]
    public void Write_leaves_no_temporary_file_behind()
    {
        var path = Path.Combine(_dir, "master.key");
        using var key = TestKeys.Master(start: 9);

        KeyFile.Write(key, path);
        Assert.Throws<KeyFileException>(() => KeyFile.Write(key, path));

        Assert.Equal(["master.key"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.OtherExecute)]
    public void Read_refuses_a_key_file_other_users_can_access(UnixFileMode extra)
    {
        var path = Path.Combine(_dir, "master.key");
        using var key = TestKeys.Master();
        KeyFile.Write(key, path);
        File.SetUnixFileMode(path, OwnerOnly | extra);

        var error = Assert.Throws<KeyFileException>(() => KeyFile.Read(path));

        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_refuses_a_0644_file_and_accepts_it_after_chmod_600()
    {
        var path = Path.Combine(_dir, "checked-out.key");
        File.WriteAllText(path, KeyFile.Prefix + Convert.ToBase64String(TestKeys.MasterBytes()) + "\n");
        File.SetUnixFileMode(path, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        Assert.Throws<KeyFileException>(() => KeyFile.Read(path));

        File.SetUnixFileMode(path, OwnerOnly);
        using var read = KeyFile.Read(path);
        Assert.Equal(KeyId.Of(TestKeys.MasterBytes()), read.Id);
    }

    [Fact]
    public void Read_of_a_missing_file_is_a_key_file_error()
    {
        var error = Assert.Throws<KeyFileException>(() => KeyFile.Read(Path.Combine(_dir, "missing.key")));

        Assert.Contains("missing.key", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> Garbage() =>
    [
        string.Empty,
        "hello",
        "carapace-master-key-v2:" + Convert.ToBase64String(new byte[32]),
        KeyFile.Prefix,
        KeyFile.Prefix + Convert.ToBase64String(new byte[16]),
        KeyFile.Prefix + Convert.ToBase64String(new byte[31]),
        KeyFile.Prefix + Convert.ToBase64String(new byte[33]),
        KeyFile.Prefix + Convert.ToBase64String(new byte[64]),
        KeyFile.Prefix + "!!!!" + Convert.ToBase64String(new byte[32])[4..],
        KeyFile.Prefix + Convert.ToBase64String(new byte[32]).TrimEnd('='),
        KeyFile.Prefix + Convert.ToBase64String(new byte[32]) + "\nsecond line",
        " " + KeyFile.Prefix + Convert.ToBase64String(new byte[32]),
    ];

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Parse_rejects_content_that_is_not_a_32_byte_key(string content)
    {
        var error = Assert.Throws<KeyFileException>(() => KeyFile.Parse(Encoding.ASCII.GetBytes(content), "test.key"));

        Assert.Contains("test.key", error.Message, StringComparison.Ordinal);
        var b64 = content.StartsWith(KeyFile.Prefix, StringComparison.Ordinal) ? content[KeyFile.Prefix.Length..] : string.Empty;
        if (b64.Length > 4)
        {
            Assert.DoesNotContain(b64, error.ToString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("")]
    public void Parse_accepts_the_key_line_with_or_without_a_line_ending(string ending)
    {
        var content = Encoding.ASCII.GetBytes(KeyFile.Prefix + Convert.ToBase64String(TestKeys.MasterBytes()) + ending);

        using var key = KeyFile.Parse(content, "test.key");

        Assert.Equal(TestKeys.MasterBytes(), Bytes(key));
    }

    private static byte[] Bytes(MasterKey key)
    {
        var bytes = new byte[MasterKey.Size];
        key.CopyTo(bytes);
        return bytes;
    }
}
