# mq.pm: helpers shared by marketiq's TAP tests.
package mq;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;

# A new cluster with marketiq preloaded, loading the extension from $MARKETIQ_DESTDIR when the
# suite runs against a private install (sh test/run.sh devtest) and from the system otherwise.
sub new_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	my $preload = $opts{preload} // 'marketiq';
	my $conf = "shared_preload_libraries = '$preload'\n";
	my $destdir = $ENV{MARKETIQ_DESTDIR} // '';
	if ($destdir ne '')
	{
		$conf .= "extension_destdir = '$destdir'\n";
		$conf .= "dynamic_library_path = '$destdir/usr/lib/postgresql/15/lib:\$libdir'\n";
	}
	$conf .= $opts{conf} // '';
	$node->append_conf('postgresql.conf', $conf);
	return $node;
}

1;
